"""The tracing policy rules that check-ins apply (stay lengths, dedupe window, horizon).

The `tracing` policy kind is registered and seeded by lachan.tracing; venues sits below tracing, so it
reads the generic core.Policy rules by key and falls back to these defaults when no version is in force
(a fresh database, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from lachan.core.errors import NotFound
from lachan.core.policies import PolicyCache, policy_in_force

DEFAULT_STAY_MINUTES = 60
MAX_STAY_MINUTES = 240
DEDUPE_MINUTES = 10
HORIZON_DAYS = 21


@dataclass(frozen=True)
class CheckInRules:
    default_stay: dict[str, int]
    max_stay_minutes: int
    dedupe_minutes: int
    horizon_days: int

    def stay_minutes(self, venue_kind: str) -> int:
        minutes = self.default_stay.get(venue_kind, self.default_stay.get("default", DEFAULT_STAY_MINUTES))
        return min(int(minutes), self.max_stay_minutes)

    @property
    def max_stay(self) -> timedelta:
        return timedelta(minutes=self.max_stay_minutes)

    @property
    def dedupe(self) -> timedelta:
        return timedelta(minutes=self.dedupe_minutes)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)


# Read on every check-in: kept per process for a minute; a version saved in this process clears it at once,
# one saved in another process within seconds (core.policies.PolicyCache).
_rules = PolicyCache(60)


def checkin_rules(on: date | None = None) -> CheckInRules:
    on = on or timezone.localdate()
    return _rules.get(on, lambda: _rules_load(on))


def _rules_load(on: date) -> CheckInRules:
    try:
        rules = policy_in_force("tracing", on).rules or {}
    except NotFound:
        rules = {}
    stay = rules.get("default_stay_minutes")
    return CheckInRules(
        default_stay=dict(stay) if isinstance(stay, dict) else {"default": DEFAULT_STAY_MINUTES},
        max_stay_minutes=int(rules.get("max_stay_minutes") or MAX_STAY_MINUTES),
        dedupe_minutes=int(rules.get("dedupe_minutes") or DEDUPE_MINUTES),
        horizon_days=int(rules.get("horizon_days") or HORIZON_DAYS),
    )
