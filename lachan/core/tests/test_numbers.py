"""Issue 12 item 23: numbers with units were written with a decimal point in the Vietnamese interface ("0.6 m",
"38.6 °C"). One helper (number_text) and one filter (number) write them in the reader's language."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from lachan.core.numbers import int_or_none, is_ascii_digits, number_text


@pytest.mark.parametrize(("value", "decimals", "vi", "en"), [
    (0.6, None, "0,6", "0.6"),
    (Decimal("38.60"), None, "38,6", "38.6"),
    (38.6, 1, "38,6", "38.6"),
    (2.0, None, "2", "2"),
    (1234567, None, "1.234.567", "1,234,567"),
    (12.3456, 2, "12,35", "12.35"),
    (None, None, "", ""),
])
def test_number_text_in_each_language(value, decimals, vi, en):
    with translation.override("vi"):
        assert number_text(value, decimals) == vi
    with translation.override("en"):
        assert number_text(value, decimals) == en


def test_the_template_filter():
    with translation.override("vi"):
        assert Template("{% load numbers %}{{ t|number }} °C · {{ d|number:1 }} m").render(
            Context({"t": 38.6, "d": 2})) == "38,6 °C · 2,0 m"


def test_evidence_and_risk_reasons_write_decimals_in_the_readers_language():
    from lachan.risk.levels import reason_text

    with translation.override("vi"):
        text = reason_text({"code": "bordering", "by": "distance", "name": "Phường 1", "km": 2.5, "within_km": 1.5})
        assert "2,5 km" in text and "1,5 km" in text and "2.5" not in text
        text = reason_text({"code": "shares", "count": 3, "of": 10, "min_level": 3, "level": 3, "share": 0.3,
                            "needed_share": 0.3})
        assert "30 %" in text and "30,0000" not in text


def test_only_ascii_digits_are_a_number():
    assert "²".isdigit() and not is_ascii_digits("²") and int_or_none("²") is None
    assert int_or_none("٣") is None and int_or_none("１２") is None  # Arabic-Indic, full-width
    assert int_or_none(" 42 ") == 42 and int_or_none(7) == 7 and int_or_none(None) is None
    assert int_or_none("-3") is None and int_or_none("1" * 10) is None and int_or_none("1234", max_digits=3) is None


def test_no_code_reads_numbers_with_isdigit():
    """str.isdigit() lets '²' through to int() (a server error): use core.numbers instead."""
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "tests" not in p.parts and p.name != "numbers.py"
                 and any(re.search(r"\.isdigit\(\)", line.split("#")[0]) for line in p.read_text().splitlines())]
    assert offenders == []
