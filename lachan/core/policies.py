"""Government rules that change (contact definitions, quarantine durations, risk criteria) as versioned
data: one `Policy` row per version, valid over a date range. Each kind of policy is registered by the
domain that applies it, with a validator for its rules, so a bad version is refused when entered, and a
schema of its fields (type, unit, bounds, label and explanation) from which the generic policy pages
(lachan.workflows.policies) build the drafting form; a domain may add a trial on past data.

Rules read often are cached per process (PolicyCache); every process compares a stamp of the policy table
(read from the database at most every STAMP_SECONDS) with the one its caches were filled under, so a
version adopted in one process is applied by all of them within seconds, not at the next restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from .caching import TTLCache
from .errors import DomainError, NotFound, PolicyErrorCode

RulesValidator = Callable[[dict[str, Any]], list[str]]  # returns problems, empty when valid
_kinds: dict[str, RulesValidator] = {}

FIELD_TYPES = ("integer", "decimal", "boolean", "choice", "choices", "time", "days", "mapping", "group", "list")


@dataclass(frozen=True)
class PolicyField:
    """One rule of a kind's schema. `integer` / `decimal` within [low, high] in `unit`; `boolean`; `choice` of
    `choices` ((value, label) pairs); `time` of day (HH:MM); `days`: a list of whole days within [low, high];
    `mapping`: a number (within [low, high], in `unit`) for each key of `choices` (empty: key left out);
    `group`: an object of `fields` (`nullable`: may be null, meaning what `null_label` says); `list`: a list of
    objects of `fields`; `choices`: a list of some of `choices`. `optional`: may be left empty (the key is then left
    out and the default applies; `blank_is_null`: kept as null instead, e.g. "no upper end"). `when`: (a sibling
    rule, its values) for which this rule exists at all (e.g. the bands of matrix methods only)."""

    key: str
    type: str
    label: Any
    help: Any = ""
    unit: Any = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[tuple[str, Any], ...] = ()
    fields: tuple[PolicyField, ...] = ()
    nullable: bool = False
    null_label: Any = ""
    optional: bool = False
    blank_is_null: bool = False
    when: tuple[str, tuple[str, ...]] | None = None
    when_label: Any = ""
    default: Any = None  # what applies when a version lacks the rule: a draft starts from it

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown policy field type {self.type!r}")

    def as_dict(self) -> dict[str, Any]:
        """The field for the API (labels in the reader's language)."""
        data: dict[str, Any] = {"key": self.key, "type": self.type, "label": str(self.label),
                                "help": str(self.help), "unit": str(self.unit), "low": self.low, "high": self.high,
                                "nullable": self.nullable, "optional": self.optional}
        if self.choices:
            data["choices"] = [{"value": value, "label": str(label)} for value, label in self.choices]
        if self.fields:
            data["fields"] = [f.as_dict() for f in self.fields]
        if self.null_label:
            data["null_label"] = str(self.null_label)
        if self.when:
            data["when"] = {"rule": self.when[0], "values": list(self.when[1])}
        if self.blank_is_null:
            data["blank_is_null"] = True
        return data


@dataclass
class TrialTable:
    title: Any
    columns: list[Any]
    rows: list[list[Any]]
    note: Any = ""


@dataclass
class PolicyTrial:
    """What rules (not saved) would have done on past data: sentences, then tables; `person_ids`: the people
    named in the tables (the caller audits their reading)."""

    summary: list[Any] = field(default_factory=list)
    tables: list[TrialTable] = field(default_factory=list)
    person_ids: list[Any] = field(default_factory=list)


# (rules, in_force: Policy | None, by) -> PolicyTrial; `by` has been checked as a province policy manager.
PolicyTrialFunction = Callable[..., PolicyTrial]


@dataclass
class PolicyKind:
    kind: str
    validator: RulesValidator
    label: Any = ""
    description: Any = ""
    fields: tuple[PolicyField, ...] = ()
    trial: PolicyTrialFunction | None = None
    trial_help: Any = ""
    pages: str = ""  # a URL name of the kind's own pages, when it has richer ones than the generic pages
    position: int = 100  # where the kind stands in lists (the order officials think of them in)

    @property
    def has_trial(self) -> bool:  # for templates, which would call `trial`
        return self.trial is not None


_registry: dict[str, PolicyKind] = {}


def register_policy_kind(kind: str, validator: RulesValidator, *, label: Any = "", description: Any = "",
                         fields: tuple[PolicyField, ...] = (), pages: str = "", position: int = 100) -> None:
    """A domain declares a kind of policy: its validator and, for the generic pages, its label, an explanation
    and the schema of its rules."""
    _kinds[kind] = validator
    known = _registry.get(kind)
    _registry[kind] = PolicyKind(kind=kind, validator=validator, label=label or kind, description=description,
                                 fields=tuple(fields), pages=pages, position=position,
                                 trial=known.trial if known else None, trial_help=known.trial_help if known else "")


def register_policy_trial(kind: str, trial: PolicyTrialFunction, *, help: Any = "") -> None:
    """A layer that can read the past (possibly above the kind's own domain) says how to try a kind's rules."""
    entry = _registry.get(kind)
    if entry is None:
        raise ValueError(f"register the policy kind {kind!r} before its trial")
    entry.trial, entry.trial_help = trial, help


def policy_kinds() -> list[PolicyKind]:
    return sorted(_registry.values(), key=lambda k: (k.position, k.kind))


def policy_kind(kind: str) -> PolicyKind:
    entry = _registry.get(kind)
    if entry is None:
        raise NotFound(PolicyErrorCode.UNKNOWN_KIND, _("Unknown kind of policy: %(kind)s.") % {"kind": kind}, field="kind")
    return entry


# ---- caches of rules, kept in step across processes ------------------------------------------------------------

STAMP_SECONDS = 5.0
_policy_caches: list[TTLCache] = []
_stamp_state: dict[str, Any] = {"checked": 0.0, "seen": None}


class PolicyCache(TTLCache):
    """A per-process cache of values derived from policy versions: emptied when a version is saved in this
    process, and when the stamp of the policy table shows another process changed it."""

    def __init__(self, ttl: float, maxsize: int = 10_000):
        super().__init__(ttl, maxsize)
        _policy_caches.append(self)

    def get(self, key, load):
        policy_stamp_check()
        return super().get(key, load)


def policy_stamp() -> tuple:
    """What changes whenever a version is added, changed or deleted, in any process."""
    from .models import Policy

    row = Policy.objects.aggregate(n=Count("id"), last_id=Max("id"), changed=Max("changed_at"))
    return row["n"], row["last_id"], row["changed"]


def policy_stamp_check(*, force: bool = False) -> None:
    """At most every STAMP_SECONDS: read the stamp; if it moved since the caches were filled, empty them."""
    now = time.monotonic()
    if not force and now - _stamp_state["checked"] < STAMP_SECONDS:
        return
    _stamp_state["checked"] = now
    stamp = policy_stamp()
    if stamp != _stamp_state["seen"]:
        if _stamp_state["seen"] is not None:
            for cache in _policy_caches:
                cache.clear()
        _stamp_state["seen"] = stamp


def policy_stamp_reset(*, checks: bool = True) -> None:
    """Tests: forget the stamp (each test starts from another database state); `checks=False`: no periodic reading
    of the stamp until the next reset (a test counting its queries does not meet one at random)."""
    _stamp_state.update(checked=0.0 if checks else float("inf"), seen=None)


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
        raise NotFound(PolicyErrorCode.MISSING, _("No %(kind)s policy is in force on %(date)s.") % {"kind": kind, "date": on})
    return policy


# Rules read many times a second (each case confirmed from a lab file, each check-in) are kept per process for a
# minute; a version saved or deleted in this process clears them at once (policy_rules_clear, connected in
# CoreConfig.ready), other processes within STAMP_SECONDS (policy_stamp_check).
_rules = PolicyCache(60)


def policy_rules(kind: str, on: date) -> dict[str, Any] | None:
    """The rules of the version in force on a date, or None when no version is."""

    def load():
        try:
            return policy_in_force(kind, on).rules or {}
        except NotFound:
            return None

    return _rules.get((kind, on), load)


def _policy_caches_clear() -> None:
    for cache in _policy_caches:
        cache.clear()


def policy_rules_clear(**_kwargs) -> None:
    """Every policy cache of this process (a version saved or deleted here); other processes follow the stamp."""
    _policy_caches_clear()
    transaction.on_commit(_policy_caches_clear)  # what another thread read meanwhile (before this commit) goes too


@transaction.atomic
def policy_create(*, kind: str, version: str, valid_from: date, valid_to: date | None, rules: dict[str, Any],
                  source: str = "", by=None):
    """A new version. Its rules must validate and its dates must not overlap another version's."""
    from .models import Policy

    if kind not in _kinds:
        raise DomainError(PolicyErrorCode.UNKNOWN_KIND, _("Unknown kind of policy: %(kind)s.") % {"kind": kind}, field="kind")
    if valid_to is not None and valid_to < valid_from:
        raise DomainError(PolicyErrorCode.DATES, _("The end date is before the start date."), field="valid_to")
    problems = _kinds[kind](rules)
    if problems:
        raise DomainError(PolicyErrorCode.RULES, "; ".join(problems), field="rules")
    overlapping = Policy.objects.filter(kind=kind).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    clash = overlapping.first()
    if clash is not None:
        raise DomainError(
            PolicyErrorCode.OVERLAP,
            _("These dates overlap version %(version)s (from %(start)s); end it first.")
            % {"version": clash.version, "start": clash.valid_from},
            field="valid_from",
        )
    return Policy.objects.create(kind=kind, version=version, valid_from=valid_from, valid_to=valid_to,
                                 rules=rules, source=source,
                                 created_by=by if getattr(by, "is_authenticated", False) else None)


@transaction.atomic
def policy_supersede(*, kind: str, version: str, valid_from: date, rules: dict[str, Any], source: str = "",
                     valid_to: date | None = None, by=None):
    """A new version from `valid_from`, ending the open-ended version in force then on the day before (a
    province adopting its own rules, a new dispatch). What was decided under the old version keeps it (records
    point at their version). Refused when no open-ended version would be cut short by it, when that version
    starts on or after `valid_from` (it would be left with no day), or when the new dates overlap another."""
    from .models import Policy

    if kind not in _kinds:
        raise DomainError(PolicyErrorCode.UNKNOWN_KIND, _("Unknown kind of policy: %(kind)s.") % {"kind": kind}, field="kind")
    version = " ".join(str(version or "").split())
    if not version or len(version) > 80:
        raise DomainError(PolicyErrorCode.VERSION, _("Name the version (at most 80 characters)."), field="version")
    if Policy.objects.filter(kind=kind, version=version).exists():
        raise DomainError(PolicyErrorCode.VERSION, _("There is already a version %(version)s.") % {"version": version},
                          field="version")
    if not isinstance(valid_from, date):
        raise DomainError(PolicyErrorCode.DATES, _("Enter the first day of the new version."), field="valid_from")
    current = (Policy.objects.select_for_update().filter(kind=kind, valid_to__isnull=True, valid_from__lte=valid_from)
               .order_by("-valid_from").first())
    if current is None:
        raise DomainError(PolicyErrorCode.OVERLAP, _("No open-ended version is in force on %(date)s to be superseded.")
                          % {"date": valid_from}, field="valid_from")
    if current.valid_from >= valid_from:
        raise DomainError(PolicyErrorCode.DATES,
                          _("Version %(version)s starts on %(start)s: the new version must start after it.")
                          % {"version": current.version, "start": current.valid_from}, field="valid_from")
    problems = _kinds[kind](rules)
    if problems:  # checked before the old version is cut short, so a refused version changes nothing
        raise DomainError(PolicyErrorCode.RULES, "; ".join(problems), field="rules")
    current.valid_to = valid_from - timedelta(days=1)
    current.save(update_fields=["valid_to"])
    return policy_create(kind=kind, version=version, valid_from=valid_from, valid_to=valid_to, rules=rules,
                         source=source, by=by)
