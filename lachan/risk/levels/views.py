"""Risk-level pages: the levels of a day (counts, a filtered list, Excel), a unit's page (its last 60 days with the
reasons, overrides, entered inputs), the policy versions shown readably, and adopting a province's own version.
Computing a day and trying rules on past data read cases: they are workflows (lachan.workflows.risk_levels.views)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound
from lachan.core.exports import XlsxExport
from lachan.core.pagination import page_of
from lachan.geo.models import AdminLevel

from ..errors import RiskErrorCode
from ..models import COVERAGE_KINDS, RiskInputKind, RiskLevel
from ..policy import METHODS, band_label, cluster_kind_labels
from . import selectors, services
from .explain import input_label, reasons_text
from .forms import (
    AdoptForm,
    ClearForm,
    ComputeForm,
    InputForm,
    LevelsFilterForm,
    OverrideForm,
    TrialForm,
    apply_errors,
)

PAGE_SIZE = 50
MAX_EXPORT = 20_000  # a whole country's communes
HISTORY_DAYS = 60
COVERAGE_SHORT = {
    RiskInputKind.VAX_ADULTS_1DOSE: gettext_lazy("≥ 18, 1 dose"),
    RiskInputKind.VAX_ADULTS_FULL: gettext_lazy("≥ 18, fully"),
    RiskInputKind.VAX_ELDERLY_FULL: gettext_lazy("≥ 65, fully"),
}
METHOD_LABELS = {
    "matrix_4800": gettext_lazy("Resolution 128 / Decision 4800 matrix: cases per 100,000 per week × vaccination"),
    "matrix_218": gettext_lazy("Decision 218 matrix: cases per 100,000 per week × vaccination"),
    "clusters_2686": gettext_lazy("Decision 2686: the nature of the clusters"),
}
CLUSTER_KINDS = dict(cluster_kind_labels())


def _not_found(request, exc: NotFound):
    return render(request, "risk/not_found.html", {"message": exc.message, "nav_current": "risk"}, status=404)


# ---- one assessment as a row ------------------------------------------------------------------------------------

def coverage_items(inputs: dict) -> list[tuple[str, float]]:
    coverage = inputs.get("coverage") or {}
    return [(str(COVERAGE_SHORT[k]), coverage[k]) for k in COVERAGE_KINDS if coverage.get(k) is not None]


def assessment_row(a) -> dict:
    """What a page shows of an assessment: the numbers used and the missing inputs in words."""
    inputs = a.inputs or {}
    return {
        "a": a, "unit": a.unit, "level": a.level, "computed": a.computed_level, "overridden": a.overridden,
        "cases": inputs.get("cases"), "rate": inputs.get("rate"), "band": inputs.get("band"),
        "population": inputs.get("population"), "window_days": inputs.get("window_days"),
        "coverage": coverage_items(inputs), "capacity_met": inputs.get("capacity_met"),
        "communes": inputs.get("communes"),
        "clusters": [(str(CLUSTER_KINDS.get(k, k)), n) for k, n in sorted((inputs.get("clusters") or {}).items())],
        "missing": [input_label(m) for m in a.missing or []],
    }


# ---- the levels of a day ----------------------------------------------------------------------------------------

def _filters(request) -> dict:
    """The list's filters from the query string; a bad value is said on the form and left out."""
    units = selectors.within_choices(user=request.user)
    latest = selectors.latest_day(user=request.user)
    query = request.GET.copy()
    if not query.get("on") and latest is not None:
        query["on"] = latest.isoformat()  # the day shown, on the form
    form = LevelsFilterForm(query or None, units=units)
    if form.is_bound:
        form.is_valid()  # the valid fields are in cleaned_data, the others said on the form
    data = form.cleaned_data if form.is_bound else {}
    on = data.get("on")
    if on is not None and on > timezone.localdate():
        form.add_error("on", _("%(day)s is in the future: showing the last day assessed.")
                       % {"day": on.strftime("%d/%m/%Y")})
        on = None
    within_code = data.get("within") or ""
    return {
        "form": form, "on": on or latest, "latest": latest, "admin_level": data.get("admin_level"),
        "within": next((u for u in units if u.code == within_code), None), "level": data.get("level"),
        "q": (data.get("q") or "").strip(),
    }


def _query_string(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_view(Perm.RISK_VIEW)
def levels(request):
    """Counts at each level and the list of the day (the last day assessed unless chosen)."""
    f = _filters(request)
    page = counts = None
    if f["on"] is not None:
        counts = selectors.level_counts(user=request.user, on=f["on"], admin_level=f["admin_level"],
                                        within=f["within"], query=f["q"])
        rows = selectors.levels_of_day(user=request.user, on=f["on"], admin_level=f["admin_level"],
                                       within=f["within"], level=f["level"], query=f["q"])
        page = page_of(rows, page=request.GET.get("page"), size=PAGE_SIZE)
        page.rows = [assessment_row(a) for a in page.items]
    params = request.GET.copy()
    for key in ("level", "page"):
        params.pop(key, None)
    if f["on"] is not None:
        params["on"] = f["on"].isoformat()
    can_edit = request.user.has_perm_code(Perm.RISK_EDIT)
    return render(request, "risk/levels.html", {
        "f": f, "form": f["form"], "page": page, "counts": counts, "query_string": _query_string(request),
        "level_base": params.urlencode(), "levels": [1, 2, 3, 4], "policy": selectors.policy_on(f["on"]),
        "can_edit": can_edit, "compute_form": ComputeForm() if can_edit else None, "nav_current": "risk",
    })


@staff_view(Perm.RISK_VIEW)
def levels_export(request):
    """The filtered list as a workbook."""
    f = _filters(request)
    sheet = XlsxExport().sheet(_("Risk levels"), [_("Day"), _("Code"), _("Unit"), _("Administrative level"), _("Level"), _("Computed level"),
                  _("Overridden"), _("Reason for the override"), _("Community cases in the window"), _("Days"),
                  _("Population"), _("Cases per 100,000 per week"), *[str(COVERAGE_SHORT[k]) + " (%)"
                                                                     for k in COVERAGE_KINDS],
                  _("Treatment capacity met"), _("Missing inputs"), _("Policy version"), _("Reasons")])
    if f["on"] is not None:
        rows = selectors.levels_of_day(user=request.user, on=f["on"], admin_level=f["admin_level"],
                                       within=f["within"], level=f["level"], query=f["q"])
        for a in rows[:MAX_EXPORT]:
            inputs = a.inputs or {}
            coverage = inputs.get("coverage") or {}
            capacity = inputs.get("capacity_met")
            sheet.append([a.on, a.unit.code, a.unit.label, str(AdminLevel(a.unit.level).label), a.level,
                          a.computed_level, _("yes") if a.overridden else "", a.override_reason,
                          inputs.get("cases"), inputs.get("window_days"), inputs.get("population"), inputs.get("rate"),
                          *[coverage.get(k) for k in COVERAGE_KINDS],
                          "" if capacity is None else (_("yes") if capacity else _("no")),
                          "; ".join(input_label(m) for m in a.missing or []), a.policy.version,
                          " ".join(reasons_text(a.reasons or []))])
    day = f["on"] or timezone.localdate()
    return sheet.response(f"cap-do-dich-{day:%Y%m%d}.xlsx")


# ---- a unit -------------------------------------------------------------------------------------------------------

def _day_label(a) -> str:
    level = _("level %(n)d") % {"n": a.level} if a.level else _("not assessed")
    return f"{a.on:%d/%m/%Y} · {level}" + (f" · {_('overridden')}" if a.overridden else "")


def _unit_page(request, unit, *, override_form=None, clear_form=None, input_form=None, status=200):
    history = _history(request, unit)
    by_day = {a.on: a for a in history}
    end = history[0].on if history else timezone.localdate()
    strip = [(day, by_day.get(day)) for day in (end - timedelta(days=HISTORY_DAYS - 1 - i)
                                                for i in range(HISTORY_DAYS))]
    rows = []
    for a in history:
        row = assessment_row(a)
        row["reasons"] = reasons_text(a.reasons or [])
        rows.append(row)
    can_edit = request.user.has_perm_code(Perm.RISK_EDIT)
    days = [(str(a.pk), _day_label(a)) for a in history]
    overridden = [(str(a.pk), _day_label(a)) for a in history if a.overridden]
    if can_edit:
        override_form = override_form or OverrideForm(days=days, initial={
            "level": history[0].level or history[0].computed_level or 1} if history else None)
        clear_form = clear_form or ClearForm(days=overridden)
        input_form = input_form or InputForm()
    return render(request, "risk/unit.html", {
        "unit": unit, "rows": rows, "strip": strip, "latest": history[0] if history else None,
        "inputs": selectors.inputs_of_unit(user=request.user, unit=unit)[:200], "can_edit": can_edit,
        "override_form": override_form, "clear_form": clear_form if overridden else None, "input_form": input_form,
        "days": HISTORY_DAYS, "strip_end": end, "nav_current": "risk",
    }, status=status)


@staff_view(Perm.RISK_VIEW)
def unit_detail(request, code):
    try:
        unit = selectors.unit_get(user=request.user, code=code)
    except NotFound as exc:
        return _not_found(request, exc)
    return _unit_page(request, unit)


def _history(request, unit) -> list:
    """The unit's last HISTORY_DAYS days up to its last day assessed (today's, or a past epidemic's)."""
    last = selectors.unit_history(user=request.user, unit=unit, end=timezone.localdate()).first()
    if last is None:
        return []
    return selectors.recent_history(user=request.user, unit=unit, days=HISTORY_DAYS, end=last.on)


def _history_days(request, unit, overridden_only=False):
    history = _history(request, unit)
    return [(str(a.pk), _day_label(a)) for a in history if a.overridden or not overridden_only]


def _assessment_of(request, unit, pk):
    """The assessment chosen on the form, which must be the unit's."""
    a = selectors.assessment_get(user=request.user, pk=pk)
    if a.unit_id != unit.pk:
        raise NotFound(RiskErrorCode.ASSESSMENT_NOT_FOUND, _("No such assessment in your jurisdiction."))
    return a


def _unit_post(request, code, *, slot: str, make_form, act):
    """A form posted on a unit's page: done → its message and the page again; refused → the page with the form's
    errors, nothing changed (the services check everything before writing)."""
    try:
        unit = selectors.unit_get(user=request.user, code=code)
    except NotFound as exc:
        return _not_found(request, exc)
    form = make_form(unit)
    if form.is_valid():
        try:
            message = act(unit, form.cleaned_data)
        except DomainError as exc:  # also NotFound and PermissionDenied: said on the form
            apply_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("risk:unit", code=unit.code)
    return _unit_page(request, unit, status=400, **{slot: form})


@require_POST
@staff_view(Perm.RISK_EDIT)
def unit_override(request, code):
    def act(unit, data):
        a = services.level_override(assessment=_assessment_of(request, unit, data["assessment"]),
                                    level=data["level"], reason=data["reason"], by=request.user)
        return _("The level of %(unit)s on %(day)s is now %(level)d (computed: %(computed)s).") % {
            "unit": unit.label, "day": a.on.strftime("%d/%m/%Y"), "level": a.level, "computed": a.computed_level or "—"}

    return _unit_post(request, code, slot="override_form", act=act,
                      make_form=lambda unit: OverrideForm(request.POST, days=_history_days(request, unit)))


@require_POST
@staff_view(Perm.RISK_EDIT)
def unit_override_clear(request, code):
    def act(unit, data):
        a = services.level_override_clear(assessment=_assessment_of(request, unit, data["assessment"]),
                                          reason=data["reason"], by=request.user)
        return _("The override of %(day)s is cleared: the computed level applies again.") % {
            "day": a.on.strftime("%d/%m/%Y")}

    return _unit_post(request, code, slot="clear_form", act=act, make_form=lambda unit: ClearForm(
        request.POST, days=_history_days(request, unit, overridden_only=True)))


@require_POST
@staff_view(Perm.RISK_EDIT)
def unit_input(request, code):
    def act(unit, data):
        row = services.risk_input_record(unit=unit, kind=data["kind"], value=data["value"], as_of=data["as_of"],
                                         note=data["note"], by=request.user)
        return _("%(input)s: %(value)s as of %(day)s recorded; it applies from the next computation.") % {
            "input": RiskInputKind(row.kind).label, "value": f"{row.value:g}", "day": row.as_of.strftime("%d/%m/%Y")}

    return _unit_post(request, code, slot="input_form", act=act, make_form=lambda unit: InputForm(request.POST))


# ---- policies ----------------------------------------------------------------------------------------------------

def describe_rules(rules: dict) -> dict:
    """A version's rules ready for a page: the bands as rows, the lists as lists."""
    rules = rules or {}
    method = rules.get("method", "")
    bands = [{"label": band_label(b), "met": b.get("met"), "not_met": b.get("not_met")}
             for b in sorted(rules.get("bands") or [], key=lambda b: b.get("from") or 0) if isinstance(b, dict)]
    upward = rules.get("upward") or {}
    return {
        "method": method, "method_label": METHOD_LABELS.get(method, method), "engine": METHODS.get(method, ""),
        "window_days": rules.get("window_days", 7), "per": rules.get("per", 100_000), "bands": bands,
        "vaccination": [{"label": RiskInputKind(c["input"]).label if c.get("input") in RiskInputKind.values
                         else c.get("input"), "min": c.get("min_percent")} for c in rules.get("vaccination") or []],
        "capacity": rules.get("capacity"),
        "cluster_kinds": [str(CLUSTER_KINDS.get(k, k)) for k in rules.get("very_high_cluster_kinds") or []],
        "untraceable": rules.get("high_if_untraceable_case", True),
        "bordering": rules.get("high_if_bordering_very_high", True),
        "within_km": rules.get("neighbour_within_km"),
        "upward": upward.get("method"), "upward_rules": [
            {**r, "share_pct": None if r.get("share") is None else round(r["share"] * 100)}
            for r in upward.get("rules") or [] if isinstance(r, dict)],
        "otherwise": upward.get("otherwise", 1),
    }


@staff_view(Perm.RISK_VIEW)
def policies(request):
    today = timezone.localdate()
    versions = selectors.policy_versions(user=request.user)
    for p in versions:
        p.described = describe_rules(p.rules)
        p.in_force = p.valid_from <= today and (p.valid_to is None or today <= p.valid_to)
    return render(request, "risk/policies.html", {
        "versions": versions, "can_edit": request.user.has_perm_code(Perm.RISK_EDIT), "nav_current": "risk",
    })


def rules_text(rules) -> str:
    return json.dumps(rules, ensure_ascii=False, indent=2)


def trial_page(request, *, trial_form, adopt_form=None, trial=None, status=200):
    """The trial page (also what adopting shows when refused): the editor, the method's documentation, the results
    of a trial and, for those who may, the form that adopts the rules tried."""
    may_adopt = selectors.may_adopt(user=request.user)
    rules_value = trial_form["rules"].value() or ""
    if may_adopt and adopt_form is None and trial is not None:
        adopt_form = AdoptForm(initial={"rules": rules_value, "valid_from": timezone.localdate() + timedelta(days=1)})
    return render(request, "risk/trial.html", {
        "form": trial_form, "adopt_form": adopt_form if may_adopt else None, "trial": trial,
        "rules_problems": trial_form.errors.get("rules", []), "policy": selectors.policy_on(),
        "levels": [1, 2, 3, 4], "level_labels": RiskLevel.choices, "nav_current": "risk",
    }, status=status)


@require_POST
@staff_view(Perm.RISK_EDIT)
def policy_adopt(request):
    """The rules tried become the version in force from a day (province only); refused: the trial page again, with
    every problem, nothing saved."""
    form = AdoptForm(request.POST)
    today = timezone.localdate()
    trial_form = TrialForm({"rules": request.POST.get("rules", ""), "start": today - timedelta(days=30),
                            "end": today - timedelta(days=1)})  # bound: the rules' problems land on it
    trial_form.is_valid()
    if form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.risk_policy_adopt(version=data["version"], valid_from=data["valid_from"],
                                                rules=data["rules"], source=data["source"], by=request.user)
        except DomainError as exc:
            apply_errors(trial_form if exc.field == "rules" else form, exc)
        else:
            messages.success(request, _("Version %(version)s adopted: in force from %(day)s.")
                             % {"version": policy.version, "day": policy.valid_from.strftime("%d/%m/%Y")})
            return redirect("risk:policies")
    return trial_page(request, trial_form=trial_form, adopt_form=form, status=400)


def trial_initial(request) -> dict:
    """The editor prefilled with a version's rules (?from=<id>) or those in force today."""
    policy = None
    if request.GET.get("from"):
        try:
            policy = selectors.policy_get(user=request.user, pk=request.GET["from"])
        except NotFound:
            messages.error(request, _("No such risk policy version: the rules in force are shown instead."))
    policy = policy or selectors.policy_on()
    today = timezone.localdate()
    return {"rules": rules_text(policy.rules) if policy else "", "start": today - timedelta(days=30),
            "end": today - timedelta(days=1)}


def summary_message(summary) -> str:
    """A computation's summary in words."""
    levels = ", ".join(_("level %(n)d: %(count)d") % {"n": lv, "count": summary.levels.get(lv, 0)}
                       for lv in (1, 2, 3, 4))
    text = _("Levels of %(day)s computed under %(policy)s for %(units)d units — %(levels)s; not assessed: "
             "%(none)d; overrides kept: %(kept)d.") % {
        "day": summary.on.strftime("%d/%m/%Y"), "policy": summary.policy, "units": summary.units, "levels": levels,
        "none": summary.not_assessed, "kept": summary.overridden}
    if summary.missing:
        text += " " + _("Missing inputs: %(list)s.") % {"list": "; ".join(
            f"{input_label(k)} ({n})" for k, n in sorted(summary.missing.items()))}
    return text
