"""Tracing one case: every registered exposure source over the infectious window, graded by the tracing
policy in force, F1 → F2 (→ F3 if the policy says), written in one transaction with bulk writes."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.cases.models import Case
from lachan.cases.selectors import case_get
from lachan.core.db import bulk_copy, bulk_insert, db_datetime
from lachan.core.errors import DomainError, NotFound
from lachan.core.policies import policy_in_force
from lachan.people.models import Person

from .access import require_perm
from .errors import TracingErrorCode
from .models import CallStatus, Contact, Exposure, Tier, TracingRun, tier_rank
from .policy import rules_of
from .sources.base import CLOSE, Evidence, Window, exposures_many, registered_sources

_EXPOSURE_COLUMNS = ["contact_id", "source", "grade", "with_person_id", "start", "minutes", "distance_m", "small_room",
                     "ref", "text"]


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


def separated_since(person_ids: list[UUID]) -> dict[UUID, datetime]:
    """When each person stopped mixing with others: marked quarantined on a call list, or isolated as a case."""
    since: dict[UUID, datetime] = {}
    for pid, at in (Contact.objects.filter(person_id__in=person_ids, call_status=CallStatus.QUARANTINED,
                                           called_at__isnull=False).values_list("person_id", "called_at")):
        since[pid] = min(at, since.get(pid, at))
    for pid, at in Case.objects.filter(person_id__in=person_ids).values_list("person_id", "isolated_at"):
        since[pid] = min(at, since.get(pid, at))
    return since


def find_contacts(case: Case, rules: dict, *, now: datetime) -> dict[UUID, _Found]:
    return find_contacts_many([case], rules, now=now)[case.pk]


def find_contacts_many(cases: list[Case], rules: dict, *, now: datetime) -> dict[UUID, dict[UUID, _Found]]:
    """Contacts of several cases under one policy, each source asked once per level for all of them (a
    lab file with hundreds of positives is traced in a few queries per source, not hundreds)."""
    results: dict[UUID, dict[UUID, _Found]] = {c.pk: {} for c in cases}
    cases_of: dict[UUID, list[Case]] = defaultdict(list)
    windows = {}
    for case in cases:
        start, end = case_window(case)
        cases_of[case.person_id].append(case)
        known = windows.get(case.person_id)
        windows[case.person_id] = Window(case.person_id, min(start, known.start), max(end, known.end)) if known \
            else Window(case.person_id, start, end)
    for ev in _gather(list(windows.values()), rules):
        for case in cases_of.get(ev.subject_id, ()):
            if _within(ev, *case_window(case)):
                _offer(results[case.pk], ev, Tier.F1 if ev.grade == CLOSE else Tier.NOTICE, None)
    for case in cases:
        results[case.pk].pop(case.person_id, None)
    levels = [Tier.F2] if rules["trace_f2"] else []
    if rules["trace_f2"] and rules["trace_f3"]:
        levels.append(Tier.F3)
    for tier in levels:
        # Decision 3638: an F1's close contacts count from the time the F1 was exposed until the F1 was
        # separated from others (quarantined, or isolated as a case), else until now.
        needs = [(case, pid, f.earliest_close()) for case in cases for pid, f in results[case.pk].items()
                 if f.tier == tier - 1]
        separated = separated_since(list({pid for _c, pid, _s in needs}))
        earliest: dict[UUID, datetime] = {}
        for _case, pid, start in needs:
            earliest[pid] = min(start, earliest.get(pid, start))
        windows = [Window(pid, start, min(now, separated.get(pid, now))) for pid, start in earliest.items()]
        windows = [w for w in windows if w.start < w.end]
        if not windows:
            break
        # Only close contacts count past F1, so sources may skip what can only be a notice.
        by_subject: dict[UUID, list[Evidence]] = defaultdict(list)
        for ev in _gather(windows, {**rules, "close_only": True}):
            if ev.grade == CLOSE:
                by_subject[ev.subject_id].append(ev)
        for case, pid, start in needs:
            end = min(now, separated.get(pid, now))
            for ev in by_subject.get(pid, ()):
                if ev.person_id != case.person_id and _within(ev, start, end):
                    _offer(results[case.pk], ev, tier, pid)
    return results


def _within(ev: Evidence, start: datetime, end: datetime) -> bool:
    """Evidence gathered over a window shared by several cases, kept for the case whose window it touches."""
    return ev.start < end and ev.start + timedelta(minutes=ev.minutes or 0) > start or start <= ev.start <= end


def trace_case(*, case: Case, by, now: datetime | None = None) -> TracingRun:
    """Trace `case` (again): contacts are updated in place, their call status kept; all or nothing."""
    return trace_cases(cases=[case], by=by, now=now)[0]


def trace_cases(*, cases: list[Case], by, now: datetime | None = None) -> list[TracingRun]:
    """Trace several cases together (a result file's positives): the same result as tracing each alone,
    in far fewer queries. All or nothing."""
    if not is_system(by):
        require_perm(by, Perm.CASES_EDIT)
        for case in cases:
            case_get(user=by, case_id=case.pk, audit=False)  # 404 outside the jurisdiction
    now = now or timezone.now()
    began = time.perf_counter()
    groups: dict[str, tuple] = {}
    for case in cases:
        policy = tracing_policy_for(case)
        groups.setdefault(policy.version, (policy, []))[1].append(case)
    runs = {}
    with transaction.atomic():
        for policy, members in groups.values():
            found_by_case = find_contacts_many(members, rules_of(policy), now=now)
            for case in members:
                runs[case.pk] = _write(case, found_by_case[case.pk], policy=policy, by=by, began=began)
    return [runs[case.pk] for case in cases]


def _write(case: Case, found: dict[UUID, _Found], *, policy, by, began: float) -> TracingRun:
    start, end = case_window(case)
    run = TracingRun.objects.create(case=case, policy_version=policy.version, window_start=start,
                                    window_end=end, by=by if getattr(by, "is_authenticated", False) else None)
    communes = dict(Person.objects.filter(pk__in=list(found)).values_list("pk", "commune_id"))
    existing = {c.person_id: c for c in Contact.objects.filter(index_case=case)}
    to_create, to_update = [], []
    for pid, f in found.items():
        contact = existing.get(pid)
        values = {"tier": f.tier, "via_id": f.via, "exposed_at": f.last_exposure(), "commune_id": communes[pid],
                  "last_run_id": run.pk}
        if contact is None:
            to_create.append({"index_case_id": case.pk, "person_id": pid, **values})
        else:
            for key, value in values.items():
                setattr(contact, key, value)
            to_update.append(contact)
    stale = [c.pk for pid, c in existing.items() if pid not in found]
    Exposure.objects.filter(contact__index_case=case).delete()
    if stale:
        Contact.objects.filter(pk__in=stale).delete()
    # Straight to the tables (executemany / COPY): the ORM's per-field preparation was most of the write time.
    bulk_insert(Contact, to_create)
    if to_update:
        Contact.objects.bulk_update(to_update, ["tier", "via", "exposed_at", "commune", "last_run"], batch_size=500)
    contact_ids = dict(Contact.objects.filter(index_case=case).values_list("person_id", "pk"))
    bulk_copy(Exposure._meta.db_table, _EXPOSURE_COLUMNS, [
        (contact_ids[pid], ev.source, ev.grade, _key(ev.subject_id), db_datetime(ev.start),
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
    new_people = [c["person_id"] for c in to_create]
    if new_people:
        audit_record_many(actor=by, action="contact.create", object_type="contact", person_ids=new_people,
                          detail={"case": case.code})
    return run
