"""Small parsers of the values services receive (from forms, the API, imported rows): text, ids, days. Each
refusal is a DomainError with the caller's code and field, in the messages every domain already used."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.utils.translation import gettext as _

from .dates import DAY_MAX, DAY_MIN, day_parse
from .errors import DomainError


def text_field(value, *, field: str, limit: int, code, required_message: str = "", lines: bool = False) -> str:
    """Text with its spaces collapsed (or, with lines=True, only trimmed: line breaks kept); refused when longer
    than limit, or empty when required_message is given (the message says what to enter)."""
    text = str(value or "").strip() if lines else " ".join(str(value or "").split())
    if required_message and not text:
        raise DomainError(code, required_message, field=field)
    if len(text) > limit:
        raise DomainError(code, _("At most %(n)d characters.") % {"n": limit}, field=field)
    return text


def uuid_or_none(value) -> UUID | None:
    """A UUID given as one or as text; None when it is not one (a selector then finds nothing)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def day_field(value, *, field: str, code, required: bool = False, earliest: date = DAY_MIN,
              latest: date = DAY_MAX) -> date | None:
    """A day given as a date or as text core.dates.day_parse reads, within [earliest, latest]; None when empty
    and not required. A datetime is refused (a day was asked for, not a time)."""
    if value is None or value == "":
        if required:
            raise DomainError(code, _("Enter the date."), field=field)
        return None
    if isinstance(value, datetime):
        day = None
    elif isinstance(value, date):
        day = value
    else:
        day = day_parse(value)
    if day is None:
        raise DomainError(code, _("Enter a valid date."), field=field)
    if day < earliest:
        raise DomainError(code, _("Enter a date from %(year)d on.") % {"year": earliest.year}, field=field)
    if day > latest:
        raise DomainError(code, _("Enter a valid date."), field=field)
    return day
