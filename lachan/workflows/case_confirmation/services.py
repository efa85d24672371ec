"""Confirm a case → trace it → queue the notices, in that order. The outbox sends after commit, so a
failure anywhere leaves no case, no contacts and no message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lachan.cases.models import Case
from lachan.cases.services import case_confirm
from lachan.notifications.services import notification_queue_many
from lachan.people.models import Person
from lachan.tracing.engine import trace_case, trace_cases
from lachan.tracing.models import Contact, Exposure, Tier, TracingRun


@dataclass
class Confirmed:
    case: Case
    run: TracingRun
    notified: int


def _notices_queue(case: Case, *, by) -> int:
    """F1s and exposure notices of this case not yet told; each person once, in Vietnamese."""
    contacts = list(
        Contact.objects.filter(index_case=case, tier__in=[Tier.F1, Tier.NOTICE], notified_at__isnull=True)
        .values_list("pk", "tier", "exposed_at", "person_id", "person__phone")
    )
    first_evidence = {}
    for contact_id, text, start in Exposure.objects.filter(contact_id__in=[c[0] for c in contacts]).order_by(
            "start").values_list("contact_id", "text", "start"):
        first_evidence.setdefault(contact_id, (text, start))
    sent = []
    f1, notices = [], []  # one bulk write per template, not one query set per contact
    for pk, tier, exposed_at, person_id, phone in contacts:
        if not phone:
            continue
        text, start = first_evidence.get(pk, ("", exposed_at))
        when = timezone.localtime(start).strftime("%d/%m/%Y %H:%M")
        if tier == Tier.F1:
            f1.append((phone, {"when": when}, person_id))
        else:
            place = text.split(",")[0] if text else "?"
            notices.append((phone, {"place": place, "when": when, "phone": settings.LACHAN_HEALTH_HOTLINE}, person_id))
        sent.append(pk)
    actor = by if getattr(by, "is_authenticated", False) else None
    notification_queue_many(template="tracing.f1_notice", channel="sms", items=f1, by=actor)
    notification_queue_many(template="tracing.exposure_notice", channel="sms", items=notices, by=actor)
    if sent:
        Contact.objects.filter(pk__in=sent).update(notified_at=timezone.now())
    return len(sent)


@transaction.atomic
def case_confirm_and_trace(
    *, person: Person, onset_date: date | None, sample_date: date | None, origin: str,
    confirmed_at: datetime | None = None, notes: str = "", by, now: datetime | None = None,
) -> Confirmed:
    case = case_confirm(person=person, onset_date=onset_date, sample_date=sample_date, origin=origin,
                        confirmed_at=confirmed_at, notes=notes, by=by)
    run = trace_case(case=case, by=by, now=now)
    return Confirmed(case=case, run=run, notified=_notices_queue(case, by=by))


@transaction.atomic(durable=True)
def case_retrace(*, case: Case, by, now: datetime | None = None) -> Confirmed:
    """Trace again (new check-ins, interviews, proximity uploads); only new contacts are told."""
    run = trace_case(case=case, by=by, now=now)
    return Confirmed(case=case, run=run, notified=_notices_queue(case, by=by))


@transaction.atomic
def cases_trace_and_notify(*, cases: list[Case], by, now: datetime | None = None) -> list[Confirmed]:
    """Trace newly confirmed cases together (the positives of one lab file) and queue their notices."""
    runs = trace_cases(cases=cases, by=by, now=now)
    return [Confirmed(case=case, run=run, notified=_notices_queue(case, by=by)) for case, run in zip(cases, runs, strict=True)]
