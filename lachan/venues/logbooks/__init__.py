"""Paper logbooks typed from a venue's register: the import of a file (imports.py) and the commune station's
review of what it held (review.py); the rows of a file are read and checked in rows.py."""

from .imports import (
    CHECKINS_PER_DAY,
    MAX_ROWS,
    PRESENCE_SLACK,
    TURNS_PER_DAY,
    LogbookResult,
    checkins_write,
    logbook_import,
    logbook_limits,
    logbook_over_limits,
    read_table,
)
from .review import (
    REVIEWERS,
    logbook_accept,
    logbook_get,
    logbook_reject,
    logbooks_to_review,
    match_candidates,
    may_review,
    visitor_accept,
    visitor_match,
    visitor_reject,
    visitors_waiting,
)
from .rows import HEADERS, REQUIRED, column_label, db_datetime_text

__all__ = [
    "CHECKINS_PER_DAY", "HEADERS", "MAX_ROWS", "PRESENCE_SLACK", "REQUIRED", "REVIEWERS", "TURNS_PER_DAY", "LogbookResult",
    "checkins_write", "column_label", "db_datetime_text", "logbook_accept", "logbook_get", "logbook_import",
    "logbook_limits", "logbook_over_limits", "logbook_reject", "logbooks_to_review", "match_candidates",
    "may_review", "read_table", "visitor_accept", "visitor_match", "visitor_reject", "visitors_waiting",
]
