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
# Venue size (issue 12, item 17): a venue holding this many people or more, or this large, is a large space; a
# kind of venue is taken to hold at least its number here whatever is declared (a supermarket is never a small room).
LARGE_VENUE_MIN_CAPACITY = 50
LARGE_VENUE_MIN_AREA_M2 = 150
VENUE_KIND_MIN_PEOPLE = {"market": 200, "supermarket": 200, "bus_station": 200, "hospital": 200}
SMALL, LARGE = "small", "large"  # venues.models.VenueSize values (models import this module's neighbours)


@dataclass(frozen=True)
class VenueSizeRules:
    kind_min_people: dict[str, int]
    large_min_capacity: int
    large_min_area_m2: int

    def derived(self, *, kind: str, declared: str, capacity: int | None, area_m2: int | None) -> str:
        """The size the policy gives a venue: large when declared so, when its kind or declared capacity holds at
        least `large_min_capacity` people, or when its floor is at least `large_min_area_m2`; else small."""
        people = max(capacity or 0, self.kind_min_people.get(kind, 0))
        if declared == LARGE or people >= self.large_min_capacity or (area_m2 or 0) >= self.large_min_area_m2:
            return LARGE
        return SMALL

    def traced(self, *, kind: str, declared: str, capacity: int | None, area_m2: int | None,
               confirmed: str = "") -> str:
        """The size tracing uses: the commune station's when it confirmed one, else the derived one."""
        return confirmed or self.derived(kind=kind, declared=declared, capacity=capacity, area_m2=area_m2)

    def of(self, venue) -> str:
        return self.traced(kind=venue.kind, declared=venue.size, capacity=venue.capacity, area_m2=venue.area_m2,
                           confirmed=venue.size_confirmed)

    def crowded(self, venue) -> bool:
        """Its check-ins contradict its size: traced as a small room, yet more people were in at once than a small
        room holds, since the size was last confirmed."""
        return (self.of(venue) == SMALL and (venue.crowd_peak or 0) >= self.large_min_capacity
                and (venue.size_confirmed_at is None or venue.crowd_peak_at is None
                     or venue.crowd_peak_at > venue.size_confirmed_at))


def venue_size_rules(rules: dict | None) -> VenueSizeRules:
    """The size rules of a tracing policy version's rules (the defaults for what it does not say)."""
    rules = rules or {}
    kinds = rules.get("venue_kind_min_people")
    return VenueSizeRules(
        kind_min_people=dict(kinds) if isinstance(kinds, dict) else dict(VENUE_KIND_MIN_PEOPLE),
        large_min_capacity=int(rules.get("large_venue_min_capacity") or LARGE_VENUE_MIN_CAPACITY),
        large_min_area_m2=int(rules.get("large_venue_min_area_m2") or LARGE_VENUE_MIN_AREA_M2),
    )


def venue_size_rules_on(on: date | None = None) -> VenueSizeRules:
    """The size rules of the tracing policy in force on a day (today)."""
    on = on or timezone.localdate()
    return _size_rules.get(on, lambda: venue_size_rules(_tracing_rules(on)))


def _tracing_rules(on: date) -> dict:
    try:
        return policy_in_force("tracing", on).rules or {}
    except NotFound:
        return {}


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
_size_rules = PolicyCache(60)


def checkin_rules(on: date | None = None) -> CheckInRules:
    on = on or timezone.localdate()
    return _rules.get(on, lambda: _rules_load(on))


def _rules_load(on: date) -> CheckInRules:
    rules = _tracing_rules(on)
    stay = rules.get("default_stay_minutes")
    return CheckInRules(
        default_stay=dict(stay) if isinstance(stay, dict) else {"default": DEFAULT_STAY_MINUTES},
        max_stay_minutes=int(rules.get("max_stay_minutes") or MAX_STAY_MINUTES),
        dedupe_minutes=int(rules.get("dedupe_minutes") or DEDUPE_MINUTES),
        horizon_days=int(rules.get("horizon_days") or HORIZON_DAYS),
    )
