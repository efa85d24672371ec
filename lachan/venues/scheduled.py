"""Periodic jobs of the venues app (found by core.scheduler.autodiscover). Job names are stored: never rename.

Check-ins are deleted past the tracing horizon with the rest of the data collected for tracing
(lachan.workflows.retention)."""

from lachan.core.scheduler import periodic


@periodic("venues.crowd_peaks", every="daily", at="03:10")
def crowd_peaks_job() -> str:
    """Each night, the most people at once at each venue: a "small room" that held a crowd is flagged for its
    commune station."""
    from .services import venues_crowd_count

    return f"{venues_crowd_count()} venues held more people at once than before"
