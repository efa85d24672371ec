"""The tracing policy (ADR 0002): which rules a version must carry, and reading them with defaults."""

from __future__ import annotations

from typing import Any

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
}
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
