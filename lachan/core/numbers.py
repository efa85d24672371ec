"""The one way a number is written for a reader: in the active language's format (Vietnamese "0,6 m", "38,6 °C",
"1.234.567"; English "0.6", "1,234,567"). Text built in Python (messages, evidence, exports' notes) uses
number_text; templates use the `number` filter (lachan.core.templatetags.numbers). Never str() or an f-string of
a float in text a person reads.

And the one way a whole number typed by a person is read: str.isdigit() is true for '²' and other scripts'
digits, which int() then refuses (a server error); only ASCII digits 0-9 are a number here."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats


def number_text(value, decimals: int | None = None) -> str:
    """`value` with `decimals` places (None: as many as it has, trailing zeros dropped), grouped by thousands."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    if decimals is None and not isinstance(value, int):
        value = Decimal(str(value)).normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
    elif decimals is not None:  # rounded (Django's number_format cuts the digits off)
        value = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


_ASCII_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(text: str | None) -> bool:
    return bool(text) and _ASCII_DIGITS.fullmatch(text) is not None


def int_or_none(value, *, max_digits: int = 9) -> int | None:
    """A non-negative whole number of at most max_digits ASCII digits (spaces around allowed), else None."""
    text = str(value if value is not None else "").strip()
    if len(text) > max_digits or not is_ascii_digits(text):
        return None
    return int(text)
