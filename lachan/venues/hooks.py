"""What other parts of the platform do when visits are recorded, without the venues knowing them: a workflow
registers a function here (lachan.workflows.apps). E.g. a person who should be isolating (a confirmed case)
is told to go home, and the commune station is alerted."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger("lachan.venues")

# Called with checkins=[(CheckIn, created)] once they are stored; returns the ids of the people among them who
# must go home and isolate.
CheckinsHook = Callable[..., set]
_checkins_recorded: list[CheckinsHook] = []


def on_checkins_recorded(func: CheckinsHook) -> CheckinsHook:
    if func not in _checkins_recorded:
        _checkins_recorded.append(func)
    return func


def checkins_recorded(*, checkins: list) -> set:
    """The people to send home. The visits stay recorded whatever a follow-up does (tracing needs them): a
    follow-up that fails is logged, not the check-in's failure."""
    isolate: set = set()
    for func in list(_checkins_recorded):
        try:
            isolate |= set(func(checkins=checkins) or ())
        except Exception:
            logger.exception("check-in follow-up %s failed", getattr(func, "__name__", func))
    return isolate
