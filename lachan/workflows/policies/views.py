"""The policy pages of every kind (lachan.workflows.policies), under /policies/: the kinds, a kind's versions, a
version, and the draft made from the version in force — a form generated from the kind's schema, checked, tried
on past data and adopted from a day, all on one page (the draft lives in the form: nothing is saved before
adoption)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.roles import Perm
from lachan.core.decorators import staff_view
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput

from . import services as service
from .forms import decimal_text, describe, form_rows, rules_from_post, unknown_rules, with_defaults


class AdoptForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("Name of the new version"), max_length=80,
                              help_text=gettext_lazy("As the decision names it, e.g. “QĐ 123/QĐ-UBND (12/2026)”."))
    valid_from = DayField(label=gettext_lazy("In force from"), widget=DateInput(),
                                 help_text=gettext_lazy("Today or later. The version in force ends the day before."))
    source = forms.CharField(label=gettext_lazy("Legal source"), max_length=300,
                             help_text=gettext_lazy("The decision or dispatch that sets these rules."))


def _in_force(policy) -> bool:
    today = timezone.localdate()
    return policy.valid_from <= today and (policy.valid_to is None or today <= policy.valid_to)


@staff_view(Perm.POLICIES_VIEW)
def kinds(request):
    return render(request, "policies/kinds.html", {
        "kinds": service.policy_kinds_overview(user=request.user), "nav_current": "policies"})


@staff_view(Perm.POLICIES_VIEW)
def versions(request, kind):
    entry = service.policy_kind_get(user=request.user, kind=kind)
    rows = service.policy_versions(user=request.user, kind=kind)
    today = timezone.localdate()
    for p in rows:
        p.in_force = _in_force(p)
        p.upcoming = p.valid_from > today
    return render(request, "policies/versions.html", {
        "entry": entry, "versions": rows, "may_manage": service.may_manage(request.user), "nav_current": "policies"})


@staff_view(Perm.POLICIES_VIEW)
def version(request, kind, pk):
    entry = service.policy_kind_get(user=request.user, kind=kind)
    policy = service.policy_version_get(user=request.user, kind=kind, pk=pk)
    policy.in_force = _in_force(policy)
    previous = service.policy_version_in_force(kind, policy.valid_from - timedelta(days=1))
    return render(request, "policies/version.html", {
        "entry": entry, "policy": policy, "rows": describe(entry.fields, policy.rules), "previous": previous,
        "changes": changes(entry, previous.rules, policy.rules) if previous is not None and entry.fields else [],
        "other_rules": unknown_rules(entry.fields, policy.rules), "may_manage": service.may_manage(request.user),
        "nav_current": "policies"})


def _flat(rules: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(rules, dict):
        return {prefix.rstrip("."): rules} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in rules.items():
        if isinstance(value, dict):  # an empty one adds nothing (as a rule left out)
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _labels(fields, prefix: str = "", parents: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """Each rule's path → (its label with its groups', its unit)."""
    labels = {}
    for spec in fields:
        path = (*parents, str(spec.label))
        labels[f"{prefix}{spec.key}"] = " › ".join(path), str(spec.unit)
        if spec.type == "group":
            labels.update(_labels(spec.fields, f"{prefix}{spec.key}.", path))
        elif spec.type == "mapping":
            for key, label in spec.choices:
                labels[f"{prefix}{spec.key}.{key}"] = " › ".join((*path, str(label))), str(spec.unit)
    return labels


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        return decimal_text(value)
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return "—" if not value else str(value)
    return str(value)


def changes(entry, before: dict | None, after: dict | None) -> list[dict[str, str]]:
    """What a draft changes from the version it was drafted from, field by field, in words (a rule either lacks
    counts as its default)."""
    old, new = _flat(with_defaults(entry.fields, before)), _flat(with_defaults(entry.fields, after))
    labels = _labels(entry.fields)
    order = list(labels)

    def shown(path, value):
        text = _shown(value)
        unit = labels.get(path, ("", ""))[1]
        return f"{text} {unit}" if unit and isinstance(value, (int, float)) and not isinstance(value, bool) else text

    return [{"label": labels.get(path, (path, ""))[0], "before": shown(path, old.get(path)),
             "after": shown(path, new.get(path))}
            for path in sorted(set(old) | set(new), key=lambda p: order.index(p) if p in labels else len(order))
            if old.get(path) != new.get(path)]


@staff_view(Perm.POLICIES_VIEW)
def draft(request, kind):
    """GET: the form filled from the version in force (or ?from=<id>). POST: check / try / adopt the draft."""
    entry = service.policy_kind_get(user=request.user, kind=kind)
    if entry.pages and not entry.fields:  # a kind with no schema drafts on its own pages
        return redirect(entry.pages)
    if not service.may_manage(request.user):
        raise PermissionDenied(service.PolicyErrorCode.PERMISSION, "")
    base = None
    source_id = request.POST.get("base") if request.method == "POST" else request.GET.get("from")
    if source_id:
        try:
            base = service.policy_version_get(user=request.user, kind=kind, pk=source_id)
        except NotFound:
            messages.error(request, _("No such version: the draft starts from the version in force."))
    base = base or service.policy_version_in_force(kind)
    base_rules = base.rules if base is not None else {}
    today = timezone.localdate()
    context: dict[str, Any] = {"entry": entry, "base": base, "nav_current": "policies", "problems": None,
                               "trial": None, "checked": False}
    if request.method != "POST":
        context["rows"] = form_rows(entry.fields, base_rules)
        context["adopt_form"] = AdoptForm(initial={"valid_from": today + timedelta(days=1)})
        return render(request, "policies/draft.html", context)

    rules, errors = rules_from_post(entry.fields, request.POST, base_rules)
    action = request.POST.get("action", "check")
    adopt_form = AdoptForm(request.POST) if action == "adopt" else AdoptForm(initial={
        "version": request.POST.get("version", ""), "source": request.POST.get("source", ""),
        "valid_from": request.POST.get("valid_from") or today + timedelta(days=1)})
    context.update(rows=form_rows(entry.fields, rules, posted=request.POST, errors=errors), adopt_form=adopt_form,
                   changes=changes(entry, base_rules, rules), field_errors=bool(errors))
    context["unchanged"] = not context["changes"] and not errors
    status = 400
    if not errors:
        try:
            if action == "try":
                trial = context["trial"] = service.policy_draft_try(user=request.user, kind=kind, rules=rules)
                context["trial_tables"] = [{"title": t.title, "columns": t.columns, "note": t.note,
                                            "rows": [list(zip(t.columns, row, strict=False)) for row in t.rows]}
                                           for t in trial.tables]
                context["checked"], status = True, 200
            elif action == "adopt":
                if adopt_form.is_valid():
                    data = adopt_form.cleaned_data
                    policy = service.policy_adopt(user=request.user, kind=kind, version=data["version"],
                                                  valid_from=data["valid_from"], rules=rules, source=data["source"])
                    messages.success(request, _("Version %(version)s adopted: in force from %(day)s.")
                                     % {"version": policy.version, "day": policy.valid_from.strftime("%d/%m/%Y")})
                    return redirect(reverse("policies:version", args=[kind, policy.pk]))
            else:
                context["problems"] = service.policy_draft_check(user=request.user, kind=kind, rules=rules)
                context["checked"] = not context["problems"]
                status = 200 if context["checked"] else 400
        except service.RulesInvalid as exc:
            context["problems"] = exc.problems
        except DomainError as exc:
            if exc.field in adopt_form.fields:
                adopt_form.add_error(exc.field, str(exc.message))
            else:
                context["problems"] = [str(exc.message)]
    return render(request, "policies/draft.html", context, status=status)
