"""Tracing one case: every registered exposure source over the infectious window, graded by the tracing
policy in force, F1 → F2 (→ F3 if the policy says), written in one transaction with bulk writes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.cases.models import Case
from lachan.cases.selectors import case_get
from lachan.cases.services import require_perm
from lachan.core.db import bulk_copy, is_sqlite
from lachan.core.errors import DomainError, NotFound
from lachan.core.policies import policy_in_force
from lachan.people.models import Person

from .errors import TracingErrorCode
from .models import Contact, Exposure, Tier, TracingRun, tier_rank
from .policy import rules_of
from .sources.base import CLOSE, Evidence, Window, exposures_many, registered_sources

_EXPOSURE_COLUMNS = ["contact_id", "source", "grade", "with_person_id", "start", "minutes", "distance_m", "small_room",
                     "ref", "text"]


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")  # as core.db.db_datetime


def _key(value):
    return value.hex if isinstance(value, UUID) else value  # bulk_copy wants uuids as 32 hex digits


@dataclass
class _Found:
    tier: int
    via: UUID | None
    evidence: list[Evidence] = field(default_factory=list)

    def earliest_close(self) -> datetime:
        return min(e.start for e in self.evidence if e.grade == CLOSE)

    def last_exposure(self) -> datetime:
        return max(e.start + timedelta(minutes=e.minutes or 0) for e in self.evidence)


def case_window(case: Case) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(case.infectious_from, dtime.min))
    return start, max(case.isolated_at, start)


def tracing_policy_for(case: Case):
    try:
        return policy_in_force("tracing", case.infectious_from)
    except NotFound:
        raise DomainError(
            TracingErrorCode.NO_POLICY,
            _("No tracing policy is in force on %(date)s; add one before tracing.") % {"date": case.infectious_from},
        ) from None


def _gather(windows: list[Window], rules: dict) -> list[Evidence]:
    found: list[Evidence] = []
    for source in registered_sources():
        found.extend(exposures_many(source, windows, rules))
    return found


def _offer(found: dict[UUID, _Found], evidence: Evidence, tier: int, via: UUID | None) -> bool:
    """Keep the closest tier per person; returns True when the person is new at this tier."""
    current = found.get(evidence.person_id)
    if current is None or tier_rank(tier) < tier_rank(current.tier):
        found[evidence.person_id] = _Found(tier=tier, via=via, evidence=[evidence])
        return True
    if current.tier == tier:
        current.evidence.append(evidence)
    return False


def find_contacts(case: Case, rules: dict, *, now: datetime) -> dict[UUID, _Found]:
    start, end = case_window(case)
    found: dict[UUID, _Found] = {}
    for ev in _gather([Window(case.person_id, start, end)], rules):
        _offer(found, ev, Tier.F1 if ev.grade == CLOSE else Tier.NOTICE, None)
    found.pop(case.person_id, None)
    levels = [Tier.F2] if rules["trace_f2"] else []
    if rules["trace_f2"] and rules["trace_f3"]:
        levels.append(Tier.F3)
    for tier in levels:
        # Decision 3638: an F1's close contacts count from the time the F1 was exposed until now.
        windows = [Window(pid, f.earliest_close(), now) for pid, f in found.items() if f.tier == tier - 1]
        windows = [w for w in windows if w.start < w.end]
        if not windows:
            break
        # Only close contacts count past F1, so sources may skip what can only be a notice.
        for ev in _gather(windows, {**rules, "close_only": True}):
            if ev.grade == CLOSE and ev.person_id != case.person_id:
                _offer(found, ev, tier, ev.subject_id)
    return found


def trace_case(*, case: Case, by, now: datetime | None = None) -> TracingRun:
    """Trace `case` (again): contacts are updated in place, their call status kept; all or nothing."""
    if by is not None:
        require_perm(by, Perm.CASES_EDIT)
        case_get(user=by, case_id=case.pk, audit=False)  # 404 outside the jurisdiction
    now = now or timezone.now()
    policy = tracing_policy_for(case)
    rules = rules_of(policy)
    began = time.perf_counter()
    with transaction.atomic():
        found = find_contacts(case, rules, now=now)
        start, end = case_window(case)
        run = TracingRun.objects.create(case=case, policy_version=policy.version, window_start=start,
                                        window_end=end, by=by if getattr(by, "is_authenticated", False) else None)
        communes = dict(Person.objects.filter(pk__in=list(found)).values_list("pk", "commune_id"))
        existing = {c.person_id: c for c in Contact.objects.filter(index_case=case)}
        to_create, to_update = [], []
        for pid, f in found.items():
            contact = existing.get(pid)
            values = {"tier": f.tier, "via_id": f.via, "exposed_at": f.last_exposure(), "commune_id": communes[pid],
                      "last_run": run}
            if contact is None:
                to_create.append(Contact(index_case=case, person_id=pid, **values))
            else:
                for key, value in values.items():
                    setattr(contact, key, value)
                to_update.append(contact)
        stale = [c.pk for pid, c in existing.items() if pid not in found]
        Exposure.objects.filter(contact__index_case=case).delete()
        if stale:
            Contact.objects.filter(pk__in=stale).delete()
        Contact.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            Contact.objects.bulk_update(to_update, ["tier", "via", "exposed_at", "commune", "last_run"], batch_size=500)
        contact_ids = {c.person_id: c.pk for c in to_create + to_update}
        # Straight to the table (executemany / COPY): the ORM's per-field preparation was most of the write time.
        to_db = _sqlite_datetime if is_sqlite() else (lambda v: v)
        bulk_copy(Exposure._meta.db_table, _EXPOSURE_COLUMNS, [
            (_key(contact_ids[pid]), ev.source, ev.grade, _key(ev.subject_id), to_db(ev.start),
             ev.minutes, ev.distance_m, ev.small_room, ev.ref[:64], ev.text[:300])
            for pid, f in found.items() for ev in f.evidence
        ], batch_size=1000)
        keys = {Tier.NOTICE: "notices", Tier.F1: "f1", Tier.F2: "f2", Tier.F3: "f3"}
        counts = dict.fromkeys(keys.values(), 0)
        for f in found.values():
            counts[keys[Tier(f.tier)]] += 1
        run.counts = counts
        run.duration_ms = int((time.perf_counter() - began) * 1000)
        run.save(update_fields=["counts", "duration_ms"])
        audit_record(actor=by, action="tracing.run", object_type="case", object_id=case.pk, person_id=case.person_id,
                     detail=counts)
        new_people = [c.person_id for c in to_create]
        if new_people:
            audit_record_many(actor=by, action="contact.create", object_type="contact", person_ids=new_people,
                              detail={"case": case.code})
    return run
