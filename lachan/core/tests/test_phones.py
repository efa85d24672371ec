"""The one phone normaliser. Before issue 13 three disagreed (accounts, people, notifications: PLAN13 B.3.1);
these are the inputs they disagreed on, read by the people register's rules, which all now follow."""

import pytest

from lachan.core.phones import MOBILE_NUMBER, phone_looks_like, phone_parse


@pytest.mark.parametrize(("raw", "parsed"), [
    ("0912345678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("(0912) 345-678", "0912345678"),
    # accounts and notifications accepted these; no network uses 050, 071, 080
    ("0501234567", None),
    ("0711234567", None),
    ("0801234567", None),
    # only people read these
    ("0084912345678", "0912345678"),
    ("912345678", "0912345678"),
    ("0912/345/678", "0912345678"),
    # notifications refused the old 11-digit numbers
    ("01662345678", "0362345678"),
    ("+841662345678", "0362345678"),
    ("+84 162 345 6789", "0323456789"),
    ("841662345678", "0362345678"),
    # not Vietnamese, not ASCII digits, not a number
    ("+1 415 555 0100", None),
    ("٠٩١٢٣٤٥٦٧٨", None),
    ("０９１２３４５６７８", None),
    ("", None),
    (None, None),
    ("09123456789", None),
    ("091234567", None),
    ("abc", None),
])
def test_phone_parse(raw, parsed):
    assert phone_parse(raw) == parsed
    if parsed:
        assert MOBILE_NUMBER.fullmatch(parsed)


@pytest.mark.parametrize(("raw", "looks"), [
    ("0912345678", True),
    ("912345678", True),
    ("+84 912 345 678", True),
    ("01662345678", True),
    ("0084 912 345 678", True),  # people's search said no
    ("841662345678", False),  # 12 digits: accounts said yes
    ("+1 415 555 0100", False),  # accounts said yes (\d matched any digit)
    ("٠٩١٢٣٤٥٦٧٨", False),
    ("０９１２３４５６７８", False),
    ("Nguyễn Văn An", False),
    ("12345678", False),
    ("", False),
])
def test_phone_looks_like(raw, looks):
    assert phone_looks_like(raw) is looks
