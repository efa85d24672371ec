"""Writes of tracing's own data: call results, interview contacts, proximity uploads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.cases.models import Case
from lachan.cases.selectors import case_get
from lachan.core.errors import DomainError, NotFound
from lachan.people.models import Person

from .access import require_perm
from .errors import TracingErrorCode
from .models import CallStatus, Contact, InterviewContact, ProximityDevice, ProximityEncounter

MAX_ENCOUNTERS = 5000
DELETE_BATCH = 10_000


@transaction.atomic(durable=True)
def contact_mark_call(*, contact: Contact, status: str, note: str = "", by) -> Contact:
    require_perm(by, Perm.CONTACTS_CALL)
    if not Contact.objects.filter(scope_for(by).commune_q("commune"), pk=contact.pk).exists():
        raise NotFound(TracingErrorCode.CONTACT_NOT_FOUND, _("Contact not found."))
    if status not in CallStatus.values:
        raise DomainError(TracingErrorCode.CALL_STATUS_INVALID, _("Unknown call result."), field="status")
    contact.call_status = status
    contact.call_note = (note or "")[:300]
    contact.called_at = timezone.now()
    contact.called_by = as_user(by)
    contact.save(update_fields=["call_status", "call_note", "called_at", "called_by"])
    audit_record(actor=by, action="contact.call", object_type="contact", object_id=contact.pk,
                 person_id=contact.person_id, detail={"status": status})
    return contact


@transaction.atomic(durable=True)
def interview_contact_add(*, case: Case, person: Person, relationship: str, last_contact_at: datetime,
                          minutes: int | None = None, masked: bool = False, notes: str = "", by) -> InterviewContact:
    require_perm(by, Perm.CASES_EDIT)
    case = case_get(user=by, case_id=case.pk, audit=False)
    if person.pk == case.person_id:
        raise DomainError(TracingErrorCode.INTERVIEW_SELF, _("A case is not its own contact."), field="person")
    if person.merged_into_id:
        raise DomainError(TracingErrorCode.INTERVIEW_PERSON, _("This person record was merged."), field="person")
    if last_contact_at > timezone.now() + timedelta(minutes=5):
        raise DomainError(TracingErrorCode.INTERVIEW_TIME, _("The contact time is in the future."),
                          field="last_contact_at")
    if last_contact_at > case.isolated_at or last_contact_at.date() < case.infectious_from - timedelta(days=1):
        raise DomainError(TracingErrorCode.INTERVIEW_TIME,
                          _("The contact time is outside the infectious window (%(start)s to isolation).")
                          % {"start": case.infectious_from}, field="last_contact_at")
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        raise DomainError(TracingErrorCode.INTERVIEW_MINUTES, _("Minutes must be from 0 to 1440."), field="minutes")
    interview, _created = InterviewContact.objects.update_or_create(
        case=case, person=person,
        defaults={"relationship": relationship.strip()[:100] or _("contact"), "last_contact_at": last_contact_at,
                  "minutes": minutes, "masked": masked, "notes": notes, "entered_by": as_user(by),
                  "created_by": as_user(by), "changed_by": as_user(by)},
    )
    audit_record(actor=by, action="interview.contact", object_type="case", object_id=case.pk,
                 person_id=person.pk, detail={"relationship": relationship[:100]})
    return interview


@transaction.atomic(durable=True)
def proximity_upload(*, anonymous_id: str, person: Person, consent: bool, encounters: list[dict], by) -> int:
    """A phone's encounter log. Only with consent; the device is bound to the person who uploads first."""
    if not consent:
        raise DomainError(TracingErrorCode.PROXIMITY_CONSENT, _("Proximity logs are only accepted with consent."),
                          field="consent")
    anonymous_id = (anonymous_id or "").strip()
    if not 8 <= len(anonymous_id) <= 64:
        raise DomainError(TracingErrorCode.PROXIMITY_DEVICE, _("The device id must have 8 to 64 characters."),
                          field="device_id")
    if len(encounters) > MAX_ENCOUNTERS:
        raise DomainError(TracingErrorCode.PROXIMITY_TOO_MANY, _("At most %(n)s encounters per upload.")
                          % {"n": MAX_ENCOUNTERS}, field="encounters")
    now = timezone.now()
    device = ProximityDevice.objects.filter(anonymous_id=anonymous_id).first()
    if device is None:
        device = ProximityDevice.objects.create(person=person, anonymous_id=anonymous_id, consent_given_at=now,
                                                created_by=as_user(by), changed_by=as_user(by))
    elif device.person_id != person.pk or device.revoked_at is not None:
        raise DomainError(TracingErrorCode.PROXIMITY_DEVICE, _("This device id belongs to someone else or was revoked."),
                          field="device_id")
    rows = []
    for i, enc in enumerate(encounters):
        started, minutes, distance, other = enc["started_at"], enc["duration_minutes"], enc["distance_m"], enc["other_id"]
        if (started > now + timedelta(minutes=5) or started < now - timedelta(days=60) or not 1 <= minutes <= 24 * 60
                or not 0 <= distance <= 100 or not other or other == anonymous_id or len(other) > 64):
            raise DomainError(TracingErrorCode.PROXIMITY_ENCOUNTER,
                              _("Encounter %(n)s is invalid (time, duration, distance or id).") % {"n": i + 1},
                              field=f"encounters.{i}")
        rows.append(ProximityEncounter(reporter=device, other_id=other, started_at=started,
                                       duration_minutes=minutes, distance_m=distance))
    ProximityEncounter.objects.bulk_create(rows, ignore_conflicts=True)  # a retried upload is not counted twice
    audit_record(actor=by, action="proximity.upload", object_type="device", object_id=device.pk,
                 person_id=person.pk, detail={"encounters": len(rows)})
    return len(rows)


def proximity_delete_before(*, cutoff: datetime, batch: int = DELETE_BATCH) -> tuple[int, int]:
    """Delete the proximity encounters that began before `cutoff` (the tracing horizon: lachan.workflows.retention),
    in batches, and the devices whose consent was revoked before it (nothing of theirs is used any more). Returns
    (encounters, devices) deleted."""
    encounters = 0
    while True:
        ids = list(ProximityEncounter.objects.filter(started_at__lt=cutoff).order_by().values_list("pk", flat=True)
                   [:batch])
        if not ids:
            break
        encounters += ProximityEncounter.objects.filter(pk__in=ids).delete()[0]
    _total, deleted = ProximityDevice.objects.filter(revoked_at__lt=cutoff).delete()  # their encounters with them
    return (encounters + deleted.get(ProximityEncounter._meta.label, 0),
            deleted.get(ProximityDevice._meta.label, 0))
