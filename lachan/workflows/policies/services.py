"""Every kind of policy the domains register (core.policies) read, drafted, tried and adopted the same way: the
versions with their legal source and dates; a draft made from the version in force, validated by the kind's own
validator and tried on past data where the kind says how (its trial reads other domains, hence a workflow); the
draft adopted from a day, ending the version in force the day before. A draft is never saved: nothing changes
for the running province until it is adopted. Reading needs policies.view; drafting, trying and adopting need
policies.manage and a province-wide jurisdiction. Every check, trial and adoption is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.actors import permission_check
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.jurisdiction import scope_is_province
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, PermissionDenied, PolicyErrorCode
from lachan.core.models import Policy
from lachan.core.policies import PolicyKind, PolicyTrial, policy_kind, policy_kinds, policy_supersede

ERROR_CODES_DOC = (
    "Errors `{code, message, field?, errors?}`: 400 `policy_rules` (the rules break the kind's schema: every problem "
    "in `errors`), `policy_version` (no name, or a name already used), `policy_dates` (a start before today, or not "
    "after the version in force began), `policy_overlap` (no open-ended version to supersede), `policy_source` "
    "(no legal source), `policy_no_trial` (the kind cannot be tried on past data); 403 `policy_permission` (not a "
    "province-wide policy manager); 404 `policy_unknown_kind`, `policy_not_found`.")


class RulesInvalid(DomainError):
    """Every problem of a draft's rules at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(PolicyErrorCode.RULES, "; ".join(problems), field="rules")

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": [{"code": PolicyErrorCode.RULES, "field": "rules", "message": p}
                                                for p in self.problems]}


require_perm = permission_check(PolicyErrorCode.PERMISSION, gettext_lazy("You may not do this with policies."))


def may_manage(user) -> bool:
    """Draft, try and adopt: a policy manager whose jurisdiction is the whole province."""
    return (user is not None and user.is_authenticated and not user.is_citizen
            and user.has_perm_code(Perm.POLICIES_MANAGE) and scope_is_province(user))


def _require_manager(user) -> None:
    require_perm(user, Perm.POLICIES_MANAGE)
    if not scope_is_province(user):
        raise PermissionDenied(PolicyErrorCode.PERMISSION,
                               _("Only a province-wide account may draft, try or adopt a policy version."))


def _kind(kind: str) -> PolicyKind:
    try:
        return policy_kind(kind)
    except NotFound:
        raise NotFound(PolicyErrorCode.UNKNOWN_KIND, _("Unknown kind of policy: %(kind)s.") % {"kind": kind},
                       field="kind") from None


def in_force_q(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


@dataclass
class KindOverview:
    entry: PolicyKind
    in_force: Policy | None
    versions: int
    upcoming: Policy | None


# ---- reading ----------------------------------------------------------------------------------------------------

def policy_kinds_overview(*, user) -> list[KindOverview]:
    """Every registered kind with the version in force today, the next one adopted if any, and how many there are."""
    require_perm(user, Perm.POLICIES_VIEW)
    today = timezone.localdate()
    entries = policy_kinds()
    counts = dict(Policy.objects.filter(kind__in=[e.kind for e in entries]).values("kind")
                  .annotate(n=Count("id")).values_list("kind", "n"))
    current = {p.kind: p for p in Policy.objects.filter(in_force_q(today), kind__in=counts).order_by("valid_from")}
    upcoming: dict[str, Policy] = {}
    for p in Policy.objects.filter(kind__in=counts, valid_from__gt=today).order_by("-valid_from"):
        upcoming[p.kind] = p  # the earliest ends up kept
    return [KindOverview(entry=e, in_force=current.get(e.kind), versions=counts.get(e.kind, 0),
                         upcoming=upcoming.get(e.kind)) for e in entries if counts.get(e.kind) or e.fields]


def policy_kind_get(*, user, kind: str) -> PolicyKind:
    require_perm(user, Perm.POLICIES_VIEW)
    return _kind(kind)


def policy_versions(*, user, kind: str) -> list[Policy]:
    """The versions of a kind, newest first."""
    require_perm(user, Perm.POLICIES_VIEW)
    _kind(kind)
    return list(Policy.objects.filter(kind=kind).select_related("created_by").order_by("-valid_from"))


def policy_version_get(*, user, kind: str, pk) -> Policy:
    require_perm(user, Perm.POLICIES_VIEW)
    _kind(kind)
    try:
        pk = int(pk)
        if not 0 < pk < 2**63:  # beyond a bigint PostgreSQL refuses the query: simply not found
            raise ValueError(pk)
        return Policy.objects.select_related("created_by").get(kind=kind, pk=pk)
    except (Policy.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(PolicyErrorCode.NOT_FOUND, _("No such policy version.")) from None


def policy_version_in_force(kind: str, on: date | None = None) -> Policy | None:
    return Policy.objects.filter(in_force_q(on or timezone.localdate()), kind=kind).order_by("-valid_from").first()


# ---- drafting ---------------------------------------------------------------------------------------------------

def _problems(entry: PolicyKind, rules: Any) -> list[str]:
    if not isinstance(rules, dict):
        return [_("The rules must be an object.")]
    try:
        return [str(p) for p in entry.validator(rules)]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a validator surprised by a shape it missed
        return [_("The rules could not be read: %(error)s") % {"error": exc}]


def policy_draft_check(*, user, kind: str, rules: Any) -> list[str]:
    """A draft's problems under the kind's validator (empty: it may be adopted). Audited; nothing saved."""
    _require_manager(user)
    entry = _kind(kind)
    problems = _problems(entry, rules)
    audit_record(actor=user, action="policy.draft_check", object_type="core.policy", object_id=kind,
                 detail={"kind": kind, "valid": not problems, "problems": problems[:20]})
    return problems


def policy_draft_try(*, user, kind: str, rules: Any) -> PolicyTrial:
    """What a valid draft would have done on past data (the kind's trial). Audited, with the people it names."""
    _require_manager(user)
    entry = _kind(kind)
    if entry.trial is None:
        raise DomainError(PolicyErrorCode.NO_TRIAL,
                          _("This kind of policy cannot be tried on past data: check it and adopt it."))
    problems = _problems(entry, rules)
    if problems:
        raise RulesInvalid(problems)
    trial = entry.trial(rules=rules, in_force=policy_version_in_force(kind), by=user)
    audit_record(actor=user, action="policy.trial", object_type="core.policy", object_id=kind,
                 detail={"kind": kind, "rules": rules, "people": len(trial.person_ids)})
    if trial.person_ids:
        audit_record_many(actor=user, action="policy.trial_people", object_type="core.policy",
                          person_ids=list(trial.person_ids), detail={"kind": kind})
    return trial


def _changed(entry: PolicyKind, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The rules that differ, old and new (for the audit trail); a rule a version lacks counts as its default."""
    defaults = {f.key: f.default for f in entry.fields if f.default is not None}
    before, after = {**defaults, **before}, {**defaults, **after}
    keys = sorted(set(before) | set(after))
    return {k: {"from": before.get(k), "to": after.get(k)} for k in keys if before.get(k) != after.get(k)}


def policy_adopt(*, user, kind: str, version: str, valid_from: date | None, rules: Any, source: str) -> Policy:
    """A draft becomes the version in force from `valid_from` (today or later; the version in force then ends the
    day before). Refused, nothing saved, when the rules are invalid, the source or name missing, the date past."""
    _require_manager(user)
    entry = _kind(kind)
    problems = _problems(entry, rules)
    if problems:
        raise RulesInvalid(problems)
    source = " ".join(str(source or "").split())
    if not source:
        raise DomainError(PolicyErrorCode.SOURCE, _("Give the legal source (e.g. the province's decision)."),
                          field="source")
    if len(source) > 300:
        raise DomainError(PolicyErrorCode.SOURCE, _("The legal source may be at most 300 characters."),
                          field="source")
    if not isinstance(valid_from, date):
        raise DomainError(PolicyErrorCode.DATES, _("Enter the first day of the new version."), field="valid_from")
    if valid_from < timezone.localdate():
        raise DomainError(PolicyErrorCode.DATES, _("A new version starts today or later, never in the past."),
                          field="valid_from")
    with transaction.atomic(durable=True):
        before = policy_version_in_force(kind, valid_from)
        try:
            policy = policy_supersede(kind=kind, version=version, valid_from=valid_from, rules=rules, source=source,
                                      by=user)
        except DomainError as exc:
            code = exc.code if exc.code in {c.value for c in PolicyErrorCode} else PolicyErrorCode.RULES
            raise DomainError(code, exc.message, field=exc.field) from None
        audit_record(actor=user, action="policy.adopt", object_type="core.policy", object_id=policy.pk,
                     detail={"kind": kind, "version": policy.version, "valid_from": valid_from.isoformat(),
                             "source": source, "replaces": before.version if before else "",
                             "changed": _changed(entry, (before.rules or {}) if before else {}, rules)})
    return policy
