"""Vietnamese mobile numbers: the one normaliser (registration, log-in, the people register, SMS addresses,
lab and logbook imports). Each domain maps a refusal (None) to its own error code and message."""

from __future__ import annotations

import re

from .numbers import is_ascii_digits

# The 2018–2019 conversion of 11-digit mobile prefixes to 10 digits.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    **{f"016{d}": f"03{d}" for d in "23456789"},
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
# The mobile prefixes in use; what phone_parse returns fully matches this (bulk importers test it first).
MOBILE_NUMBER = re.compile(r"0(?:3[0-9]|5[2689]|7[06789]|8[1-9]|9[0-9])[0-9]{7}")
_SEPARATORS = re.compile(r"[\s.\-()/]")


def phone_parse(raw: str | None) -> str | None:
    """A Vietnamese mobile number as 10 digits starting with 0, or None.

    "+84 162 345 6789", "0084 912 345 678", "84912345678", "912345678" (no trunk zero), "0912/345/678" and the
    old 11-digit prefixes ("01662345678") are read; only ASCII digits count."""
    if raw and MOBILE_NUMBER.fullmatch(raw):  # already normalised (most input): nothing to rewrite
        return raw
    value = _SEPARATORS.sub("", raw or "")
    if value.startswith("+"):
        value = "0" + value[3:] if value.startswith("+84") else ""
    elif value.startswith("0084"):
        value = "0" + value[4:]
    elif value.startswith("84") and len(value) >= 11:
        value = "0" + value[2:]
    elif value and not value.startswith("0"):
        value = "0" + value  # typed without the trunk zero
    if is_ascii_digits(value) and len(value) == 11 and value[:4] in OLD_MOBILE_PREFIXES:
        value = OLD_MOBILE_PREFIXES[value[:4]] + value[4:]
    return value if MOBILE_NUMBER.fullmatch(value) else None


def phone_looks_like(raw: str | None) -> bool:
    """Whether a search query or a log-in name is meant as a phone number (9–11 ASCII digits, or +84…, 0084…)."""
    value = _SEPARATORS.sub("", raw or "")
    return value.startswith(("+84", "0084")) or (is_ascii_digits(value) and 9 <= len(value) <= 11)
