"""Government rules that change (contact definitions, quarantine durations, risk criteria) as versioned
data: one `Policy` row per version, valid over a date range. Each kind of policy is registered by the
domain that applies it, with a validator for its rules, so a bad version is refused when entered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .caching import TTLCache
from .errors import DomainError, NotFound

RulesValidator = Callable[[dict[str, Any]], list[str]]  # returns problems, empty when valid
_kinds: dict[str, RulesValidator] = {}


def register_policy_kind(kind: str, validator: RulesValidator) -> None:
    _kinds[kind] = validator


def policy_in_force(kind: str, on: date):
    """The version of a kind of policy that applies on a date (404-style error if none does)."""
    from .models import Policy

    policy = (
        Policy.objects.filter(kind=kind, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )
    if policy is None:
        raise NotFound("policy_missing", _("No %(kind)s policy is in force on %(date)s.") % {"kind": kind, "date": on})
    return policy


# Rules read many times a second (each case confirmed from a lab file, each check-in) are kept per process for a
# minute; a version saved or deleted in this process clears them at once (policy_rules_clear, connected in
# CoreConfig.ready), other processes see it within the minute.
_rules = TTLCache(60)


def policy_rules(kind: str, on: date) -> dict[str, Any] | None:
    """The rules of the version in force on a date, or None when no version is."""

    def load():
        try:
            return policy_in_force(kind, on).rules or {}
        except NotFound:
            return None

    return _rules.get((kind, on), load)


def policy_rules_clear(**_kwargs) -> None:
    _rules.clear()
    transaction.on_commit(_rules.clear)  # what another thread read meanwhile (before this commit) goes too


@transaction.atomic
def policy_create(*, kind: str, version: str, valid_from: date, valid_to: date | None, rules: dict[str, Any],
                  source: str = "", by=None):
    """A new version. Its rules must validate and its dates must not overlap another version's."""
    from .models import Policy

    if kind not in _kinds:
        raise DomainError("policy_unknown_kind", _("Unknown kind of policy: %(kind)s.") % {"kind": kind}, field="kind")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError("policy_dates", _("The end date is before the start date."), field="valid_to")
    problems = _kinds[kind](rules)
    if problems:
        raise DomainError("policy_rules", "; ".join(problems), field="rules")
    overlapping = Policy.objects.filter(kind=kind).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    clash = overlapping.first()
    if clash is not None:
        raise DomainError(
            "policy_overlap",
            _("These dates overlap version %(version)s (from %(start)s); end it first.")
            % {"version": clash.version, "start": clash.valid_from},
            field="valid_from",
        )
    return Policy.objects.create(kind=kind, version=version, valid_from=valid_from, valid_to=valid_to,
                                 rules=rules, source=source, created_by=by)


@transaction.atomic
def policy_supersede(*, kind: str, version: str, valid_from: date, rules: dict[str, Any], source: str = "",
                     valid_to: date | None = None, by=None):
    """A new version from `valid_from`, ending the open-ended version in force then on the day before (a
    province adopting its own rules, a new dispatch). What was decided under the old version keeps it (records
    point at their version). Refused when no open-ended version would be cut short by it, when that version
    starts on or after `valid_from` (it would be left with no day), or when the new dates overlap another."""
    from .models import Policy

    if kind not in _kinds:
        raise DomainError("policy_unknown_kind", _("Unknown kind of policy: %(kind)s.") % {"kind": kind}, field="kind")
    version = " ".join(str(version or "").split())
    if not version or len(version) > 80:
        raise DomainError("policy_version", _("Name the version (at most 80 characters)."), field="version")
    if Policy.objects.filter(kind=kind, version=version).exists():
        raise DomainError("policy_version", _("There is already a version %(version)s.") % {"version": version},
                          field="version")
    if not isinstance(valid_from, date):
        raise DomainError("policy_dates", _("Enter the first day of the new version."), field="valid_from")
    current = (Policy.objects.select_for_update().filter(kind=kind, valid_to__isnull=True, valid_from__lte=valid_from)
               .order_by("-valid_from").first())
    if current is None:
        raise DomainError("policy_overlap", _("No open-ended version is in force on %(date)s to be superseded.")
                          % {"date": valid_from}, field="valid_from")
    if current.valid_from >= valid_from:
        raise DomainError("policy_dates",
                          _("Version %(version)s starts on %(start)s: the new version must start after it.")
                          % {"version": current.version, "start": current.valid_from}, field="valid_from")
    problems = _kinds[kind](rules)
    if problems:  # checked before the old version is cut short, so a refused version changes nothing
        raise DomainError("policy_rules", "; ".join(problems), field="rules")
    current.valid_to = valid_from - timedelta(days=1)
    current.save(update_fields=["valid_to"])
    return policy_create(kind=kind, version=version, valid_from=valid_from, valid_to=valid_to, rules=rules,
                         source=source, by=by)
