"""Local days (the platform counts by the province's calendar day, settings.TIME_ZONE, not by UTC) and the times
clients send."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator

# The days a client may send (an API, a form, an imported file): far wider than any record, narrow enough that a
# day ± a week and its local midnight in UTC stay within what Python and both databases hold (0001-01-01 minus
# seven hours, or 9999-12-31 plus a day, overflowed into server errors).
DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(2199, 12, 31)


def day_check(value: date) -> date:
    """A day within [DAY_MIN, DAY_MAX]; ValueError otherwise (pydantic and forms show it as a field error)."""
    day = value.date() if isinstance(value, datetime) else value
    if not DAY_MIN <= day <= DAY_MAX:
        raise ValueError(f"the day must be between {DAY_MIN:%d/%m/%Y} and {DAY_MAX:%d/%m/%Y}")
    return value


def local_midnight(day: date) -> datetime:
    """The aware start of a local day: a day's records are those from this up to the next day's."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_parse(value) -> date | None:
    """A day given as a date, a datetime, ISO "2021-08-14" or Vietnamese "14/08/2021"; None when it is none of them."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(str(value or "").strip(), fmt).date()
        except ValueError:
            continue
        return day if DAY_MIN <= day <= DAY_MAX else None
    return None


# How a person types a moment in a form (lachan.core.widgets.DateTimeInput), and ISO.
INSTANT_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%YT%H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                   "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def instant_parse(value) -> datetime | None:
    """A moment typed in a form, "07/12/2026 08:30" (day first, 24 h) or ISO, as an aware time (naive: local
    time); None when it is neither or out of range."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = " ".join(str(value or "").split())
        for fmt in INSTANT_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            break
        else:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return None
    try:
        return timezone.localtime(instant_normalize(parsed))
    except (ValueError, OverflowError):
        return None


def instant_normalize(value: datetime) -> datetime:
    """A time a client sent, made safe to store and compare: naive means local time; held in UTC, so an offset
    PostgreSQL refuses (beyond ±16 h, which Python accepts) never reaches it. Whether a time is plausible (not in
    the future, not before collection…) is each domain's rule."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    return day_check(value)


# The type of every time an API accepts.
Instant = Annotated[datetime, AfterValidator(instant_normalize)]
# The type of every day an API accepts.
Day = Annotated[date, AfterValidator(day_check)]
