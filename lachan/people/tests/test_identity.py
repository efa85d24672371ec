from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lachan.core.errors import DomainError
from lachan.people.errors import PeopleErrorCode as E
from lachan.people.identity import (
    cccd_province_codes,
    national_id_make,
    national_id_validate,
    phone_normalize,
)


def code_of(fn):
    with pytest.raises(DomainError) as exc:
        fn()
    return exc.value.code


def test_province_codes_are_the_63_legacy_ones_padded():
    codes = cccd_province_codes()
    assert len(codes) == 63 and {"001", "082", "079", "096"} <= codes and "003" not in codes


@pytest.mark.parametrize("nid, year, sex", [
    ("082090000123", 1990, "M"),
    ("082190000123", 1990, "F"),
    ("001203000001", 2003, "M"),
    ("079305123456", 2005, "F"),
    ("082 090 000 123", 1990, "M"),  # separators are removed
    ("082890000123", 1890, "M"),  # 1800s
])
def test_valid_national_ids(nid, year, sex):
    assert national_id_validate(nid, birth_year=year, sex=sex) == nid.replace(" ", "")


def test_valid_without_birth_data_or_sex():
    assert national_id_validate("082090000123") == "082090000123"
    assert national_id_validate("082090000123", birth_date=date(1990, 1, 2), sex="U") == "082090000123"


@pytest.mark.parametrize("nid, kwargs, code", [
    ("08209000012A", {}, E.NATIONAL_ID_NOT_DIGITS),
    ("", {}, E.NATIONAL_ID_NOT_DIGITS),
    ("０８２０９０００００１２", {}, E.NATIONAL_ID_NOT_DIGITS),  # full-width digits
    ("08209000012", {}, E.NATIONAL_ID_LENGTH),
    ("0820900001234", {}, E.NATIONAL_ID_LENGTH),
    ("003090000123", {}, E.NATIONAL_ID_PROVINCE),
    ("999090000123", {}, E.NATIONAL_ID_PROVINCE),
    ("082290000123", {"birth_year": 1990}, E.NATIONAL_ID_CENTURY),  # 2 = 2000s
    ("082091000123", {"birth_year": 1990}, E.NATIONAL_ID_YEAR),
    ("082090000123", {"birth_date": date(1991, 3, 1)}, E.NATIONAL_ID_YEAR),
    ("082190000123", {"birth_year": 1990, "sex": "M"}, E.NATIONAL_ID_SEX),
    ("082090000123", {"birth_year": 1990, "sex": "F"}, E.NATIONAL_ID_SEX),
])
def test_invalid_national_ids(nid, kwargs, code):
    assert code_of(lambda: national_id_validate(nid, **kwargs)) == code


def test_messages_differ_per_failure():
    messages = set()
    for nid, kwargs in [("08209000012A", {}), ("0820900001", {}), ("003090000123", {}),
                        ("082290000123", {"birth_year": 1990}), ("082091000123", {"birth_year": 1990}),
                        ("082190000123", {"birth_year": 1990, "sex": "M"})]:
        with pytest.raises(DomainError) as exc:
            national_id_validate(nid, **kwargs)
        messages.add(str(exc.value.message))
    assert len(messages) == 6


@given(
    province=st.sampled_from(sorted(cccd_province_codes())),
    year=st.integers(min_value=1800, max_value=2299),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(min_value=0, max_value=999_999),
)
def test_generated_cccd_passes(province, year, sex, serial):
    nid = national_id_make(province=province, birth_year=year, sex=sex, serial=serial)
    assert national_id_validate(nid, birth_year=year, sex=sex) == nid


@pytest.mark.parametrize("raw, expected", [
    ("0912345678", "0912345678"),
    ("091 234 5678", "0912345678"),
    ("091.234.5678", "0912345678"),
    ("(091) 234-5678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("+84 91 234 5678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084912345678", "0912345678"),
    ("912345678", "0912345678"),
    ("01623456789", "0323456789"),
    ("01693456789", "0393456789"),
    ("+841623456789", "0323456789"),
    ("01203456789", "0703456789"),
    ("01213456789", "0793456789"),
    ("01223456789", "0773456789"),
    ("01263456789", "0763456789"),
    ("01283456789", "0783456789"),
    ("01233456789", "0833456789"),
    ("01243456789", "0843456789"),
    ("01253456789", "0853456789"),
    ("01273456789", "0813456789"),
    ("01293456789", "0823456789"),
    ("01863456789", "0563456789"),
    ("01883456789", "0583456789"),
    ("01993456789", "0593456789"),
    ("0523456789", "0523456789"),
])
def test_phone_normalize(raw, expected):
    assert phone_normalize(raw) == expected


@pytest.mark.parametrize("raw", [
    "+12025550123",  # USA
    "+8613812345678",  # China
    "02733812345",  # Tiền Giang landline
    "0283812345",  # HCMC landline, too short
    "091234567",  # too short with the zero
    "09123456789",  # too long
    "0512345678",  # 051 is not a mobile prefix
    "0801234567",
    "01303456789",  # never a mobile prefix
    "phone",
    "",
    "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits
])
def test_phone_rejects(raw):
    with pytest.raises(DomainError) as exc:
        phone_normalize(raw)
    assert exc.value.code == E.PHONE_INVALID and "not a Vietnamese mobile number" in str(exc.value.message)


@given(st.text(alphabet="0123456789 +.-()", max_size=16))
def test_phone_normalize_is_idempotent(raw):
    try:
        once = phone_normalize(raw)
    except DomainError:
        return
    assert phone_normalize(once) == once and len(once) == 10
