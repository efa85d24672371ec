"""Local days: the platform counts by the province's calendar day (settings.TIME_ZONE), not by UTC."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


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
            return datetime.strptime(str(value or "").strip(), fmt).date()
        except ValueError:
            continue
    return None
