"""Vietnamese identity numbers: the 12-digit CCCD and 10-digit mobile numbers."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _

from lachan.core.errors import DomainError
from lachan.core.numbers import is_ascii_digits
from lachan.core.phones import phone_parse

from .errors import PeopleErrorCode

# Century/sex digit of a CCCD → (first year of the century, sex); even = male, odd = female.
_CENTURY_SEX: dict[str, tuple[int, str]] = {
    "0": (1900, "M"), "1": (1900, "F"),
    "2": (2000, "M"), "3": (2000, "F"),
    "4": (2100, "M"), "5": (2100, "F"),
    "6": (2200, "M"), "7": (2200, "F"),
    "8": (1800, "M"), "9": (1800, "F"),
}


@lru_cache(maxsize=1)
def cccd_province_codes() -> frozenset[str]:
    """The 63 provinces of birth registration (2021 codes), zero-padded to three digits: "001", "082"."""
    from lachan.geo.official_units import province_codes

    return frozenset(code.zfill(3) for code in province_codes("2021"))


def national_id_parts(national_id: str) -> tuple[str, int, str, int]:
    """(province code, century start, sex, two-digit year) of an already well-formed CCCD."""
    century, sex = _CENTURY_SEX[national_id[3]]
    return national_id[:3], century, sex, int(national_id[4:6])


def national_id_validate(
    national_id: str, *, birth_date: date | None = None, birth_year: int | None = None, sex: str = "U"
) -> str:
    """The CCCD with separators removed, if it agrees with the record; else a DomainError."""
    value = re.sub(r"[\s.\-]", "", national_id or "")
    if not is_ascii_digits(value):
        raise DomainError(
            PeopleErrorCode.NATIONAL_ID_NOT_DIGITS, _("The national ID may contain digits only."), field="national_id"
        )
    if len(value) != 12:
        raise DomainError(
            PeopleErrorCode.NATIONAL_ID_LENGTH,
            _("The national ID must have 12 digits, not %(n)d.") % {"n": len(value)}, field="national_id",
        )
    province, century, id_sex, yy = national_id_parts(value)
    if province not in cccd_province_codes():
        raise DomainError(
            PeopleErrorCode.NATIONAL_ID_PROVINCE,
            _("The national ID starts with %(code)s, which is not a province code.") % {"code": province},
            field="national_id",
        )
    year = birth_date.year if birth_date else birth_year
    if year:
        if not century <= year < century + 100:
            raise DomainError(
                PeopleErrorCode.NATIONAL_ID_CENTURY,
                _("The 4th digit of the national ID says born in %(from)d–%(to)d, but the year of birth is %(year)d.")
                % {"from": century, "to": century + 99, "year": year},
                field="national_id",
            )
        if year % 100 != yy:
            raise DomainError(
                PeopleErrorCode.NATIONAL_ID_YEAR,
                _("Digits 5–6 of the national ID say a year ending in %(yy)02d, but the year of birth is %(year)d.")
                % {"yy": yy, "year": year},
                field="national_id",
            )
    if sex in ("M", "F") and sex != id_sex:
        raise DomainError(
            PeopleErrorCode.NATIONAL_ID_SEX,
            _("The 4th digit of the national ID is for a woman, but the record says man.")
            if id_sex == "F"
            else _("The 4th digit of the national ID is for a man, but the record says woman."),
            field="national_id",
        )
    return value


def national_id_make(*, province: str, birth_year: int, sex: str, serial: int) -> str:
    """A well-formed CCCD (for synthetic data and tests): province "082", sex "M"/"F", serial < 10**6."""
    century = birth_year - birth_year % 100
    digit = next(d for d, (c, s) in _CENTURY_SEX.items() if c == century and s == sex)
    return f"{province.zfill(3)}{digit}{birth_year % 100:02d}{serial:06d}"


def phone_normalize(raw: str) -> str:
    """A Vietnamese mobile number as 10 digits starting with 0 ("+84 162 345 6789" → "0323456789"): the people
    register's refusal of core.phones.phone_parse's None."""
    value = phone_parse(raw)
    if value is None:
        raise DomainError(
            PeopleErrorCode.PHONE_INVALID,
            _("%(phone)s is not a Vietnamese mobile number.") % {"phone": raw or '""'}, field="phone",
        )
    return value
