"""The laboratory policy (kind `labs`): pool sizes and the range of Ct values a result may carry.
Pools of 2–10 swabs, smaller where prevalence is higher (Decision 3486/QĐ-BYT)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from lachan.core.errors import NotFound
from lachan.core.policies import policy_in_force

DEFAULTS: dict[str, Any] = {
    "min_pool_size": 2,
    "max_pool_size": 10,
    "ct_min": 0.0,
    "ct_max": 45.0,
    "positivity_days": 14,  # the window of the positivity rate behind the pool-size advice
}
_RANGES = {"min_pool_size": (2, 50), "max_pool_size": (2, 50), "ct_min": (0, 60), "ct_max": (1, 60),
           "positivity_days": (1, 90)}


def validate_rules(rules: dict[str, Any]) -> list[str]:
    if not isinstance(rules, dict):
        return ["rules must be an object"]
    problems = [f"unknown rule: {key}" for key in rules if key not in DEFAULTS]
    for key, (low, high) in _RANGES.items():
        value = rules.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            problems.append(f"{key} must be a number from {low} to {high}")
    if not problems:
        if rules["min_pool_size"] > rules["max_pool_size"]:
            problems.append("min_pool_size must not exceed max_pool_size")
        if rules["ct_min"] >= rules["ct_max"]:
            problems.append("ct_min must be below ct_max")
    return problems


def lab_rules(on: date | None = None) -> dict[str, Any]:
    """The rules in force (defaults when no version is, e.g. a fresh database)."""
    try:
        return {**DEFAULTS, **policy_in_force("labs", on or timezone.localdate()).rules}
    except NotFound:
        return dict(DEFAULTS)


def policy_fields():
    """The schema of the laboratory policy for the generic policy pages (lachan.workflows.policies)."""
    from django.utils.translation import gettext_lazy as _

    from lachan.core.policies import PolicyField

    def spec(key):
        return {"low": _RANGES[key][0], "high": _RANGES[key][1]}

    return (
        PolicyField("min_pool_size", "integer", _("Smallest pool"),
                    _("The fewest swabs a pooled sample may hold."), unit=_("swabs"), **spec("min_pool_size")),
        PolicyField("max_pool_size", "integer", _("Largest pool"),
                    _("The most swabs a pooled sample may hold (Decision 3486/QĐ-BYT: 2–10, fewer where more "
                      "tests are positive)."), unit=_("swabs"), **spec("max_pool_size")),
        PolicyField("ct_min", "decimal", _("Lowest Ct value"), _("A result's Ct value may not be below this."),
                    **spec("ct_min")),
        PolicyField("ct_max", "decimal", _("Highest Ct value"), _("A result's Ct value may not be above this."),
                    **spec("ct_max")),
        PolicyField("positivity_days", "integer", _("Positivity window"),
                    _("The days of results behind the positivity rate that advises the pool size."), unit=_("days"),
                    **spec("positivity_days")),
    )
