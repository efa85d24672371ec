"""Everything collected for tracing is kept only for the tracing policy's horizon (Decree 13/2023: only as long as
the purpose needs): venue check-ins, proximity encounters (and the devices whose consent was revoked), the location
pings of quarantine orders, even of an order still in force. One daily job, one horizon: that of the tracing policy
version in force today (`horizon_days`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from lachan.core.errors import NotFound
from lachan.core.policies import policy_in_force
from lachan.quarantine.monitoring import pings_delete_before
from lachan.tracing.policy import rules_of
from lachan.tracing.services import proximity_delete_before
from lachan.venues.services import checkins_delete_before


def tracing_horizon(on) -> timedelta:
    try:
        policy = policy_in_force("tracing", on)
    except NotFound:
        policy = None  # no version yet (a fresh database): the default horizon
    return timedelta(days=int(rules_of(policy)["horizon_days"]))


def tracing_data_delete(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what was collected for tracing before the horizon; the numbers deleted, by kind."""
    now = now or timezone.now()
    cutoff = now - tracing_horizon(timezone.localdate(now))
    encounters, devices = proximity_delete_before(cutoff=cutoff)
    return {"checkins": checkins_delete_before(cutoff=cutoff), "encounters": encounters, "devices": devices,
            "pings": pings_delete_before(cutoff=cutoff)}


def tracing_retention_job() -> str:
    deleted = tracing_data_delete()
    return ", ".join(f"{n} {kind}" for kind, n in deleted.items()) + " deleted past the tracing horizon"
