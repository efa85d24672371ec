"""The tracing policy (ADR 0002): which rules a version must carry, and reading them with defaults."""

from __future__ import annotations

from typing import Any

from lachan.venues.policy import LARGE_VENUE_MIN_AREA_M2, LARGE_VENUE_MIN_CAPACITY, VENUE_KIND_MIN_PEOPLE

DEFAULTS: dict[str, Any] = {
    "infectious_days_before_onset": 2,
    "horizon_days": 21,
    "f1_min_minutes_small_room": 15,
    "f1_max_distance_m": 2.0,
    "f1_min_minutes_proximity": 15,
    "household_is_f1": True,
    "large_venue_is_notice": True,
    "trace_f2": True,
    "trace_f3": False,
    "default_stay_minutes": {},
    "max_stay_minutes": 240,
    "dedupe_minutes": 30,
    # Venue size (lachan.venues.policy.VenueSizeRules); optional in a version: these defaults apply.
    "venue_kind_min_people": dict(VENUE_KIND_MIN_PEOPLE),
    "large_venue_min_capacity": LARGE_VENUE_MIN_CAPACITY,
    "large_venue_min_area_m2": LARGE_VENUE_MIN_AREA_M2,
}
_OPTIONAL_NUMBERS = {"large_venue_min_capacity": (2, 10_000), "large_venue_min_area_m2": (10, 100_000)}
_NUMBERS = {
    "infectious_days_before_onset": (0, 14), "horizon_days": (1, 60), "f1_min_minutes_small_room": (0, 240),
    "f1_max_distance_m": (0.1, 10), "f1_min_minutes_proximity": (0, 240), "max_stay_minutes": (10, 24 * 60),
    "dedupe_minutes": (0, 240),
}
_FLAGS = ("household_is_f1", "large_venue_is_notice", "trace_f2", "trace_f3")


def validate_rules(rules: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(rules, dict):
        return ["rules must be an object"]
    for key in rules:
        if key not in DEFAULTS:
            problems.append(f"unknown rule: {key}")
    for key, (low, high) in _NUMBERS.items():
        if key not in rules:
            problems.append(f"missing rule: {key}")
            continue
        value = rules[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            problems.append(f"{key} must be a number from {low} to {high}")
    for key in _FLAGS:
        if not isinstance(rules.get(key), bool):
            problems.append(f"{key} must be true or false")
    for key, (low, high) in _OPTIONAL_NUMBERS.items():
        value = rules.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{key} must be a whole number from {low} to {high}")
    kinds = rules.get("venue_kind_min_people", {})
    if not isinstance(kinds, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 100_000 for v in kinds.values()
    ):
        problems.append("venue_kind_min_people must map venue kinds to a number of people")
    stays = rules.get("default_stay_minutes", {})
    if not isinstance(stays, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 24 * 60 for v in stays.values()
    ):
        problems.append("default_stay_minutes must map venue kinds to minutes")
    if rules.get("trace_f3") and not rules.get("trace_f2"):
        problems.append("trace_f3 needs trace_f2")
    return problems


def rules_of(policy) -> dict[str, Any]:
    return {**DEFAULTS, **(policy.rules if policy is not None else {})}


def policy_fields():
    """The schema of the tracing policy for the generic policy pages (lachan.workflows.policies)."""
    from django.utils.translation import gettext_lazy as _

    from lachan.core.policies import PolicyField
    from lachan.venues.models import VenueKind

    days, minutes = _("days"), _("minutes")
    low, high = _NUMBERS["infectious_days_before_onset"]
    return (
        PolicyField("infectious_days_before_onset", "integer", _("Infectious from, days before onset"),
                    _("A case is taken to be infectious from this many days before the symptoms began (before the "
                      "sample for a case without symptoms); contacts are looked for from then."),
                    unit=days, low=low, high=high),
        PolicyField("horizon_days", "integer", _("Tracing horizon"),
                    _("How far back check-ins and encounters are kept and searched; older ones are deleted."),
                    unit=days, low=_NUMBERS["horizon_days"][0], high=_NUMBERS["horizon_days"][1]),
        PolicyField("f1_min_minutes_small_room", "integer", _("Time together in a small room for an F1"),
                    _("Someone at the same small enclosed venue as the case for at least this long is an F1."),
                    unit=minutes, low=_NUMBERS["f1_min_minutes_small_room"][0],
                    high=_NUMBERS["f1_min_minutes_small_room"][1]),
        PolicyField("f1_max_distance_m", "decimal", _("Distance for an F1"),
                    _("Someone measured (by the phones' proximity) within this distance of the case long enough is "
                      "an F1."), unit=_("m"), low=_NUMBERS["f1_max_distance_m"][0],
                    high=_NUMBERS["f1_max_distance_m"][1]),
        PolicyField("f1_min_minutes_proximity", "integer", _("Time within that distance for an F1"),
                    _("How long someone must stay within the distance above to be an F1."), unit=minutes,
                    low=_NUMBERS["f1_min_minutes_proximity"][0], high=_NUMBERS["f1_min_minutes_proximity"][1]),
        PolicyField("household_is_f1", "boolean", _("Household members are F1"),
                    _("Everyone living with the case is an F1, whatever the time together.")),
        PolicyField("large_venue_is_notice", "boolean", _("A large venue gives a notice, not an F1"),
                    _("People at a large space (supermarket, market) at the same time as the case get an exposure "
                      "notice rather than being F1.")),
        PolicyField("trace_f2", "boolean", _("Trace F2"), _("Look for the close contacts of each F1 as well.")),
        PolicyField("trace_f3", "boolean", _("Trace F3"),
                    _("Look for the close contacts of each F2 as well (needs F2 traced).")),
        PolicyField("default_stay_minutes", "mapping", _("Usual stay by kind of venue"),
                    _("How long a check-in lasts when the person does not check out; empty: the platform's default "
                      "(60 minutes)."), unit=minutes, low=1, high=24 * 60, choices=tuple(VenueKind.choices)),
        PolicyField("max_stay_minutes", "integer", _("Longest stay counted"),
                    _("A check-in never counts longer than this, even without a check-out."), unit=minutes,
                    low=_NUMBERS["max_stay_minutes"][0], high=_NUMBERS["max_stay_minutes"][1]),
        PolicyField("dedupe_minutes", "integer", _("Repeated scans merged within"),
                    _("A second scan of the same venue by the same person within this time is the same visit."),
                    unit=minutes, low=_NUMBERS["dedupe_minutes"][0], high=_NUMBERS["dedupe_minutes"][1]),
        PolicyField("large_venue_min_capacity", "integer", _("People that make a venue a large space"),
                    _("A venue that holds this many people or more (as declared, or as its kind holds below) is traced "
                      "as a large space, whatever its registrant chose. A venue traced as a small room where this many "
                      "people were checked in at once is flagged for its commune station to check."),
                    unit=_("people"), low=_OPTIONAL_NUMBERS["large_venue_min_capacity"][0],
                    high=_OPTIONAL_NUMBERS["large_venue_min_capacity"][1], optional=True,
                    default=LARGE_VENUE_MIN_CAPACITY),
        PolicyField("large_venue_min_area_m2", "integer", _("Floor area that makes a venue a large space"),
                    _("A venue whose declared floor area is at least this is traced as a large space."),
                    unit=_("m²"), low=_OPTIONAL_NUMBERS["large_venue_min_area_m2"][0],
                    high=_OPTIONAL_NUMBERS["large_venue_min_area_m2"][1], optional=True,
                    default=LARGE_VENUE_MIN_AREA_M2),
        PolicyField("venue_kind_min_people", "mapping", _("People a kind of venue holds at least"),
                    _("A venue of this kind is taken to hold at least this many people, whatever its registrant "
                      "declares: at or above the number that makes a large space, every venue of the kind is traced "
                      "as one (a supermarket is never a small room). Empty: as declared."),
                    unit=_("people"), low=1, high=100_000, choices=tuple(VenueKind.choices),
                    default=dict(VENUE_KIND_MIN_PEOPLE)),
    )
