"""Events of the venues app, for the parts of the platform that react without the venues knowing them (their
receivers are connected by lachan.workflows.apps). E.g. a person who should be isolating (a confirmed case) is
told to go home, and the commune station is alerted."""

from __future__ import annotations

import logging

from django.dispatch import Signal

logger = logging.getLogger("lachan.venues")

# Sent with checkins=[(CheckIn, created)] once they are stored; each receiver returns the ids of the people among
# them who must go home and isolate (or None).
checkins_recorded = Signal()


def checkins_recorded_send(*, checkins: list) -> set:
    """The people to send home. The visits stay recorded whatever a receiver does (tracing needs them): a
    receiver that fails is logged, not the check-in's failure."""
    isolate: set = set()
    for receiver, answer in checkins_recorded.send_robust(sender=None, checkins=checkins):
        if isinstance(answer, Exception):
            logger.error("check-in follow-up %s failed", getattr(receiver, "__name__", receiver), exc_info=answer)
        else:
            isolate |= set(answer or ())
    return isolate
