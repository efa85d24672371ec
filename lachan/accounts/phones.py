"""A small local phone normaliser for log-in and registration. The people domain has its own full
one; accounts sits below people and cannot import it."""

from __future__ import annotations

import re

# 11-digit prefixes converted to 10 digits in 2018–2019.
_OLD_PREFIXES = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076",
    "0128": "078", "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^0[35789]\d{8}$")


def phone_normalise(raw: str) -> str | None:
    """'+84 912 345 678', '84912345678', '0912.345.678', '01662345678' → '0912345678'; None if not a
    Vietnamese mobile number."""
    value = _SEPARATORS.sub("", raw or "")
    if value.startswith("+84"):
        value = "0" + value[3:]
    elif value.startswith("84") and len(value) in (11, 12):
        value = "0" + value[2:]
    if len(value) == 11 and value[:4] in _OLD_PREFIXES:
        value = _OLD_PREFIXES[value[:4]] + value[4:]
    return value if _MOBILE.match(value) else None


def looks_like_phone(raw: str) -> bool:
    value = _SEPARATORS.sub("", raw or "")
    return bool(value) and bool(re.fullmatch(r"\+?\d{9,12}", value))
