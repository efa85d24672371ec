"""The commune station's review of paper logbooks (imports.py): files held for being beyond what their venue can
hold, and the people a logbook names who are not in the register yet. Reads and writes, scoped to the reviewer's
jurisdiction by the venue's commune; every decision is in the audit trail.

- A held file: accept it (check-ins of registered people are written; its new people wait below, one by one), or
  reject it (nothing is written; what it held is deleted).
- A waiting person: accept (a new person in the register, with the usual duplicate check), match to a registered
  person the reviewer may see (the visits become theirs), or reject (the visits are dropped).
Until then nothing of it is in the register or in tracing: a venue owner's file makes no one an F1 unreviewed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.people.access import people_in_scope
from lachan.people.models import Person
from lachan.people.services import person_create

from ..errors import VenueErrorCode
from ..models import LogbookImport, LogbookStatus, LogbookVisitor, VisitorStatus
from .imports import checkins_write
from .rows import db_datetime_text

REVIEWERS = {Role.COMMUNE_STATION, Role.DISTRICT_OFFICER, Role.PROVINCE_ADMIN, Role.EPIDEMIOLOGIST}


def may_review(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role in REVIEWERS)


def _require_reviewer(user) -> None:
    if not may_review(user):
        raise PermissionDenied(VenueErrorCode.PERMISSION, _("You do not have permission to do this."))


def logbooks_to_review(*, user) -> QuerySet[LogbookImport]:
    """Logbooks of venues in the user's jurisdiction that are held or still have people waiting, oldest first."""
    _require_reviewer(user)
    scope = scope_for(user)
    return (LogbookImport.objects.filter(scope.commune_q("venue__place__commune"))
            .annotate(waiting=Count("visitors", filter=Q(visitors__status=VisitorStatus.PENDING)))
            .filter(Q(status=LogbookStatus.HELD) | Q(waiting__gt=0))
            .select_related("venue__place__commune__parent", "created_by").order_by("created_at"))


def logbook_get(*, user, logbook_id: UUID | str) -> LogbookImport:
    _require_reviewer(user)
    try:
        logbook = (LogbookImport.objects.filter(scope_for(user).commune_q("venue__place__commune"))
                   .select_related("venue__place__commune__parent", "created_by").filter(pk=logbook_id).first())
    except (ValueError, TypeError, DomainError):
        logbook = None
    if logbook is None:
        raise NotFound(VenueErrorCode.NOT_FOUND, _("No such logbook."))
    return logbook


def visitors_waiting(*, user, logbook: LogbookImport) -> QuerySet[LogbookVisitor]:
    """The logbook's people to review (the logbook read with logbook_get first). Audited as a read."""
    _require_reviewer(user)  # fail closed: never the visitors of a logbook for nobody
    audit_record(actor=user, action=AuditAction.READ, object_type="venue_logbook", object_id=logbook.pk,
                 detail={"waiting": True})
    # Rows whose phone the register knows first: most likely a match to make.
    phone_known = Exists(Person.objects.active().filter(phone=OuterRef("phone")))
    return (LogbookVisitor.objects.filter(logbook=logbook, status=VisitorStatus.PENDING)
            .select_related("commune__parent", "known_person").order_by(phone_known.desc(), "search_name", "id"))


def match_candidates(*, user, visitors: list[LogbookVisitor]) -> dict[int, list[Person]]:
    """For each visitor, the registered people the user may see with the same phone (the usual match)."""
    phones = {v.phone for v in visitors}
    found: dict[str, list[Person]] = {}
    for person in people_in_scope(user).filter(Q(phone__in=phones) | Q(phone_alt__in=phones)).select_related(
            "commune__parent").order_by("full_name")[:500]:
        for phone in {person.phone, person.phone_alt} & phones:
            found.setdefault(phone, []).append(person)
    return {v.pk: found.get(v.phone, []) for v in visitors}


def _visits(visitor: LogbookVisitor) -> list[tuple]:
    """The visitor's visits in the shape checkins_write takes (_times_of's answer)."""
    items = []
    for checked_in, checked_out, assumed in visitor.visits:
        at, out = datetime.fromisoformat(checked_in), datetime.fromisoformat(checked_out)
        items.append((at.timestamp(), db_datetime_text(at), db_datetime_text(out), bool(assumed), (), at))
    return items


def _write(visitor: LogbookVisitor, person_id: UUID) -> int:
    written, _skipped = checkins_write(venue=visitor.logbook.venue,
                                       items=[(person_id, got) for got in _visits(visitor)])
    if written:
        LogbookImport.objects.filter(pk=visitor.logbook_id).update(
            checkins_written=visitor.logbook.checkins_written + written)
        visitor.logbook.checkins_written += written
    return written


def _pending(visitor_id, *, user) -> LogbookVisitor:
    _require_reviewer(user)
    visitor = (LogbookVisitor.objects.select_for_update().filter(pk=visitor_id, status=VisitorStatus.PENDING)
               .select_related("logbook__venue__place__commune").first())
    if visitor is None or not LogbookImport.objects.filter(
            scope_for(user).commune_q("venue__place__commune"), pk=visitor.logbook_id).exists():
        raise NotFound(VenueErrorCode.NOT_FOUND, _("No such person waiting for review."))
    if visitor.logbook.status == LogbookStatus.HELD:
        raise DomainError(VenueErrorCode.LOGBOOK_HELD, _("Accept or reject the whole logbook first."))
    return visitor


def _decide(visitor: LogbookVisitor, *, status: str, person_id, by) -> None:
    visitor.status, visitor.person_id = status, person_id
    visitor.decided_at, visitor.decided_by = timezone.now(), by
    visitor.visits = []  # written as check-ins, or dropped: not kept twice
    visitor.save(update_fields=["status", "person", "decided_at", "decided_by", "visits"])
    audit_record(actor=by, action=AuditAction.UPDATE, object_type="venue_logbook", object_id=visitor.logbook_id,
                 person_id=person_id, detail={"visitor": visitor.pk, "decision": status})


@transaction.atomic(durable=True)
def visitor_accept(*, visitor_id: int, by) -> Person:
    """A new person in the register from the logbook's row (with the duplicate check of any new person)."""
    visitor = _pending(visitor_id, user=by)
    person = person_create(by=by, full_name=visitor.full_name, phone=visitor.phone, commune=visitor.commune,
                           birth_date=visitor.birth_date, birth_year=visitor.birth_year)
    _write(visitor, person.pk)
    _decide(visitor, status=VisitorStatus.ACCEPTED, person_id=person.pk, by=by)
    return person


@transaction.atomic(durable=True)
def visitor_match(*, visitor_id: int, person_id: UUID | str, by) -> Person:
    """The logbook's row is this registered person (one the reviewer may see): the visits become theirs."""
    visitor = _pending(visitor_id, user=by)
    try:
        person = people_in_scope(by).filter(pk=person_id).first()
    except (ValueError, TypeError, DomainError):
        person = None
    if person is None:
        raise NotFound(VenueErrorCode.PERSON_UNKNOWN, _("No such person."), field="person_id")
    _write(visitor, person.pk)
    _decide(visitor, status=VisitorStatus.MATCHED, person_id=person.pk, by=by)
    return person


@transaction.atomic(durable=True)
def visitor_reject(*, visitor_id: int, by) -> None:
    visitor = _pending(visitor_id, user=by)
    _decide(visitor, status=VisitorStatus.REJECTED, person_id=None, by=by)


@transaction.atomic(durable=True)
def logbook_accept(*, logbook_id: UUID | str, by) -> LogbookImport:
    """A held logbook is what the venue had after all: registered people's check-ins are written, new people wait
    for review one by one."""
    logbook = logbook_get(user=by, logbook_id=logbook_id)
    logbook = LogbookImport.objects.select_for_update().select_related("venue").get(pk=logbook.pk)
    if logbook.status != LogbookStatus.HELD:
        raise DomainError(VenueErrorCode.LOGBOOK_DECIDED, _("This logbook was decided already."))
    known = list(LogbookVisitor.objects.filter(logbook=logbook, status=VisitorStatus.PENDING,
                                               known_person__isnull=False))
    written, _skipped = checkins_write(venue=logbook.venue, items=[
        (visitor.known_person_id, got) for visitor in known for got in _visits(visitor)])
    LogbookVisitor.objects.filter(pk__in=[v.pk for v in known]).update(
        status=VisitorStatus.MATCHED, person_id=F("known_person_id"), visits=[], decided_at=timezone.now(), decided_by=by)
    logbook.status, logbook.decided_at, logbook.decided_by = LogbookStatus.APPLIED, timezone.now(), by
    logbook.checkins_written += written
    logbook.save(update_fields=["status", "decided_at", "decided_by", "checkins_written"])
    audit_record(actor=by, action=AuditAction.UPDATE, object_type="venue_logbook", object_id=logbook.pk,
                 detail={"decision": "accepted", "checkins": written})
    return logbook


@transaction.atomic(durable=True)
def logbook_reject(*, logbook_id: UUID | str, by) -> LogbookImport:
    """Nothing more of this logbook is written: a held file is dropped whole, its waiting people too."""
    logbook = logbook_get(user=by, logbook_id=logbook_id)
    logbook = LogbookImport.objects.select_for_update().get(pk=logbook.pk)
    dropped = LogbookVisitor.objects.filter(logbook=logbook, status=VisitorStatus.PENDING).update(
        status=VisitorStatus.REJECTED, visits=[], decided_at=timezone.now(), decided_by=by)
    if logbook.status == LogbookStatus.HELD:
        logbook.status = LogbookStatus.REJECTED
    logbook.decided_at, logbook.decided_by = timezone.now(), by
    logbook.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(actor=by, action=AuditAction.UPDATE, object_type="venue_logbook", object_id=logbook.pk,
                 detail={"decision": "rejected", "people": dropped})
    return logbook
