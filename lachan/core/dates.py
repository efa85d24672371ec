"""Local days: the platform counts by the province's calendar day (settings.TIME_ZONE), not by UTC."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


def local_midnight(day: date) -> datetime:
    """The aware start of a local day: a day's records are those from this up to the next day's."""
    return timezone.make_aware(datetime.combine(day, time.min))
