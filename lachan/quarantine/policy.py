"""The `quarantine` policy kind: how long contacts are quarantined and cases isolated, where, with which
tests, depending on vaccination or recovery (DESIGN §5, "Quarantine of F1 over time"), and the
monitoring thresholds (geofence, silence, symptoms).

A version's rules:

    {"quarantine": {"none": REGIME, "vaccinated": REGIME, "recovered": REGIME} or null (no quarantine),
     "isolation": {"none": REGIME, "vaccinated": REGIME, "recovered": REGIME},
     "geofence_radius_m": 50, "silent_after_minutes": 60, "report_by": "20:00",
     "fever_from_c": 38.0, "spo2_below": 96}

    REGIME = {"days": 14, "facility_days": 0, "test_days": [1, 7, 14], "count_from": "exposure" | "start"}

`days` is the whole length; the first `facility_days` of them in a facility (05/2021: 21 of 28), the rest
at home. Day 1 is the day of last exposure ("exposure", contacts) or the order's first day ("start").
An `unknown` immunity is treated as `none`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

POLICY_KIND = "quarantine"  # the kind of the core Policy rows this module validates (stored: never rename)

IMMUNITIES = ("none", "vaccinated", "recovered")
_MONITORING = {  # key: (low, high, default)
    "geofence_radius_m": (10, 5000, 50),
    "silent_after_minutes": (15, 24 * 60, 60),
    "fever_from_c": (37.0, 40.0, 38.0),
    "spo2_below": (80, 100, 96),
}
DEFAULT_REPORT_BY = "20:00"


@dataclass(frozen=True)
class Regime:
    days: int
    facility_days: int
    test_days: tuple[int, ...]
    count_from: str  # "exposure" or "start"


@dataclass(frozen=True)
class Monitoring:
    geofence_radius_m: int
    silent_after_minutes: int
    report_by: time
    fever_from_c: float
    spo2_below: int


def _regime_problems(name: str, regime: Any) -> list[str]:
    if not isinstance(regime, dict):
        return [f"{name} must be an object"]
    problems = [f"{name}: unknown rule {key}" for key in regime if key not in ("days", "facility_days",
                                                                               "test_days", "count_from")]
    days = regime.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        problems.append(f"{name}.days must be a whole number from 1 to 60")
        days = 60
    facility = regime.get("facility_days", 0)
    if isinstance(facility, bool) or not isinstance(facility, int) or not 0 <= facility <= days:
        problems.append(f"{name}.facility_days must be a whole number from 0 to days")
    tests = regime.get("test_days", [])
    if not isinstance(tests, list) or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= days
                                              for d in tests):
        problems.append(f"{name}.test_days must be a list of days from 1 to days")
    elif len(set(tests)) != len(tests):
        problems.append(f"{name}.test_days has a day twice")
    if regime.get("count_from", "start") not in ("exposure", "start"):
        problems.append(f"{name}.count_from must be exposure or start")
    return problems


def validate_rules(rules: dict[str, Any]) -> list[str]:
    if not isinstance(rules, dict):
        return ["rules must be an object"]
    known = {"quarantine", "isolation", "report_by", *_MONITORING}
    problems = [f"unknown rule: {key}" for key in rules if key not in known]
    for kind, optional in (("quarantine", True), ("isolation", False)):
        regimes = rules.get(kind)
        if regimes is None and optional and kind in rules:
            continue  # no quarantine of contacts under this version (04/2022)
        if not isinstance(regimes, dict):
            problems.append(f"{kind} must map none / vaccinated / recovered to a regime")
            continue
        for immunity in IMMUNITIES:
            if immunity not in regimes:
                problems.append(f"{kind}: missing the regime for {immunity}")
            else:
                problems += _regime_problems(f"{kind}.{immunity}", regimes[immunity])
        problems += [f"{kind}: unknown immunity {key}" for key in regimes if key not in IMMUNITIES]
    for key, (low, high, _default) in _MONITORING.items():
        value = rules.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not low <= value <= high):
            problems.append(f"{key} must be a number from {low} to {high}")
    report_by = rules.get("report_by")
    if report_by is not None:
        try:
            time.fromisoformat(report_by)
        except (TypeError, ValueError):
            problems.append("report_by must be a time of day like 20:00")
    return problems


def regime(rules: dict[str, Any], *, kind: str, immunity: str) -> Regime | None:
    """The regime of a version for an order kind and immunity; None when the version quarantines no contacts."""
    regimes = rules.get(kind)
    if not regimes:
        return None
    r = regimes.get(immunity if immunity in IMMUNITIES else "none")
    return Regime(days=r["days"], facility_days=r.get("facility_days", 0), test_days=tuple(r.get("test_days", [])),
                  count_from=r.get("count_from", "start"))


def monitoring(rules: dict[str, Any] | None) -> Monitoring:
    rules = rules or {}
    values = {key: rules.get(key, default) for key, (_low, _high, default) in _MONITORING.items()}
    return Monitoring(geofence_radius_m=int(values["geofence_radius_m"]),
                      silent_after_minutes=int(values["silent_after_minutes"]),
                      report_by=time.fromisoformat(rules.get("report_by") or DEFAULT_REPORT_BY),
                      fever_from_c=float(values["fever_from_c"]), spo2_below=int(values["spo2_below"]))


def base_day(reg: Regime, *, starts_on: date, exposed_on: date | None) -> date:
    """Day 1 of the regime."""
    return exposed_on if reg.count_from == "exposure" and exposed_on is not None else starts_on


def policy_fields():
    """The schema of the quarantine policy for the generic policy pages (lachan.workflows.policies)."""
    from django.utils.translation import gettext_lazy as _

    from lachan.core.policies import PolicyField

    days = _("days")
    regime = (
        PolicyField("days", "integer", _("Length"), _("The whole length of the order, in days."), unit=days,
                    low=1, high=60),
        PolicyField("facility_days", "integer", _("Of which in a facility"),
                    _("The first days spent in a quarantine or isolation facility; the rest at home. 0: all at home."),
                    unit=days, low=0, high=60),
        PolicyField("test_days", "days", _("Test days"),
                    _("The days of the order on which a test is taken, e.g. 1, 7, 14."), low=1, high=60),
        PolicyField("count_from", "choice", _("Day 1 is"), _("Where the days are counted from."),
                    choices=(("exposure", _("the day of the last exposure")), ("start", _("the order's first day")))),
    )
    immunities = (
        ("none", _("Neither vaccinated nor recovered")),
        ("vaccinated", _("Fully vaccinated")),
        ("recovered", _("Recovered")),
    )

    def by_immunity():
        return tuple(PolicyField(immunity, "group", label, fields=regime) for immunity, label in immunities)

    low = {key: spec[0] for key, spec in _MONITORING.items()}
    high = {key: spec[1] for key, spec in _MONITORING.items()}
    return (
        PolicyField("quarantine", "group", _("Quarantine of contacts (F1)"),
                    _("How long F1s are quarantined, depending on their vaccination or recovery."),
                    fields=by_immunity(), nullable=True,
                    null_label=_("No quarantine of contacts under this version (no order is made for an F1)")),
        PolicyField("isolation", "group", _("Isolation of cases (F0)"),
                    _("How long cases are isolated, depending on their vaccination or recovery."),
                    fields=by_immunity()),
        PolicyField("geofence_radius_m", "integer", _("Home geofence radius"),
                    _("A person quarantined at home whose phone reports a position farther than this raises an "
                      "alert."), unit=_("m"), low=low["geofence_radius_m"], high=high["geofence_radius_m"],
                    optional=True),
        PolicyField("silent_after_minutes", "integer", _("Silent app after"),
                    _("A monitoring app that has sent nothing for this long raises an alert."), unit=_("minutes"),
                    low=low["silent_after_minutes"], high=high["silent_after_minutes"], optional=True),
        PolicyField("report_by", "time", _("Daily report due by"),
                    _("A person who has not reported their health by this time of day is on the missed list."),
                    optional=True),
        PolicyField("fever_from_c", "decimal", _("Fever from"),
                    _("A reported temperature at or above this raises an alert."), unit="°C",
                    low=low["fever_from_c"], high=high["fever_from_c"], optional=True),
        PolicyField("spo2_below", "integer", _("Oxygen saturation alert below"),
                    _("A reported SpO₂ below this raises an alert."), unit="%", low=low["spo2_below"],
                    high=high["spo2_below"], optional=True),
    )
