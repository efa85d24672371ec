"""The alert queue of the commune station and the operations centre: raising an alert (from a check-in, a ping
or the periodic jobs) and dealing with it: acknowledged (someone is on it) → handled (someone called or went
to the house) → closed. An alert may also be closed straight from open or acknowledged (a false alarm).

Raising is idempotent under the constraints of the model: a person still outside (or still silent) keeps one
open alert whose `repeats` grow; a missed check-in or a due test is one alert per order and day; alarming
symptoms keep one open alert per order too (a second alarming report adds to it and shows its readings).

A new alert is told to the commune station at once through the notification outbox (after the commit): an SMS
to each active station account of the order's commune with a phone, an e-mail to each with an e-mail address.
An alert may have no order: a confirmed case with no order in force who checked in somewhere (raised by
lachan.workflows.checkin_isolation) is a VIOLATION about the person, for the station of the person's commune,
in the same queue and seen within the same jurisdiction (the alert's commune).
The periodic jobs raise many at once: they tell each commune one digest instead (alerts_digest_queue)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.models import User
from lachan.accounts.roles import Perm, Role
from lachan.core.errors import DomainError
from lachan.core.numbers import number_text
from lachan.core.text import fold
from lachan.notifications.services import notification_queue_many
from lachan.people.models import Person

from ..errors import QuarantineErrorCode
from ..models import OPEN_ALERT_STATUSES, Alert, AlertKind, AlertStatus, Order, SymptomReport
from .selectors import alert_reachable, require_perm_or_citizen

logger = logging.getLogger("lachan.quarantine")

ALERT_TEMPLATE = "quarantine.alert"
DIGEST_TEMPLATE = "quarantine.alert_digest"
ONE_OPEN = (AlertKind.VIOLATION, AlertKind.SILENT, AlertKind.SYMPTOMS)  # later events add to the open alert
ONE_A_DAY = (AlertKind.MISSED_REPORT, AlertKind.TEST_DUE)
NOTE_MAX = 500
ALERTS_PATH = "/quarantine/alerts/"
# For SMS (ASCII, short: the template holds only the frame, one SMS with the variables).
SMS_KIND_VI = {"violation": "ROI NOI CACH LY", "silent": "MAT TIN HIEU VI TRI", "symptoms": "TRIEU CHUNG NANG",
               "missed_report": "CHUA KHAI BAO Y TE", "test_due": "DEN HAN XET NGHIEM"}
SMS_KIND_EN = {"violation": "LEFT QUARANTINE", "silent": "NO LOCATION", "symptoms": "ALARMING SYMPTOMS",
               "missed_report": "MISSED CHECK-IN", "test_due": "TEST DUE"}
# For e-mail subjects (a subject is short: the words, not a template's conditions).
KIND_VI = {"violation": "rời nơi cách ly", "silent": "mất tín hiệu vị trí", "symptoms": "triệu chứng nặng",
           "missed_report": "chưa khai báo y tế", "test_due": "đến hạn xét nghiệm"}
KIND_EN = {"violation": "left the place of quarantine", "silent": "no location for too long",
           "symptoms": "alarming symptoms", "missed_report": "missed check-in", "test_due": "test due"}


def station_addresses(commune_ids) -> dict[int, list[tuple[str, str, str]]]:
    """commune id → [(channel, address, language)] of its active commune-station accounts."""
    found: dict[int, list[tuple[str, str, str]]] = {}
    for unit_id, phone, email, language in (
            User.objects.filter(role=Role.COMMUNE_STATION, is_active=True, jurisdiction_unit_id__in=list(commune_ids))
            .values_list("jurisdiction_unit_id", "phone", "email", "language")):
        language = language if language in ("vi", "en") else "vi"
        if phone:
            found.setdefault(unit_id, []).append(("sms", phone, language))
        if email:
            found.setdefault(unit_id, []).append(("email", email, language))
    return found


def _queue(template: str, recipients: list[tuple[str, str, str]], context: dict | Callable[[], dict]) -> int:
    """One message per recipient (grouped by channel and language); a bad address is logged, not fatal: the
    alert is in the queue whatever happens to its message. A callable `context` is made once per language, in
    that language (its numbers written as that language writes them: "38,6 °C")."""
    groups: dict[tuple[str, str], list] = {}
    for channel, address, language in recipients:
        groups.setdefault((channel, language), []).append(address)
    queued = 0
    for (channel, language), addresses in groups.items():
        with translation.override(language):
            made = context() if callable(context) else context
        items = [(address, made, None) for address in addresses]
        try:
            with transaction.atomic():
                queued += len(notification_queue_many(template=template, channel=channel, items=items,
                                                      language=language))
        except DomainError as exc:
            logger.warning("Alert message %s (%s) not queued: %s", template, channel, exc)
    return queued


def _digest_sms(counts: dict[str, int], *, vi: bool) -> str:
    words = ({"missed_report": "nguoi chua khai bao y te", "test_due": "nguoi den han xet nghiem",
              "silent": "nguoi mat tin hieu vi tri"}
             if vi else {"missed_report": "missed check-ins", "test_due": "tests due", "silent": "without location"})
    return "; ".join(f"{counts[kind]} {word}" for kind, word in words.items() if counts.get(kind))


def _alert_context(alert: Alert, order: Order | None) -> dict[str, Any]:
    person = order.person if order is not None else alert.person
    # Without an order, the case's code stands where the order's number would (`code`, for the subject) and is
    # named as a case's (`case`: the templates write "Ca bệnh:" instead of "Quyết định:").
    case = "" if order is not None else str((alert.detail or {}).get("case") or "-")
    code = order.code if order is not None else case
    # SMS are ASCII (a Vietnamese name without its marks is still read right by the station).
    return {"kind": alert.kind, "code": code, "case": case, "name": fold(person.full_name).title(),
            "full_name": person.full_name, "phone": person.phone or "-",
            "address": (order.address if order is not None else "") or person.address_line or "-",
            "when": timezone.localtime(alert.raised_at).strftime("%H:%M %d/%m"), "url": _alerts_url(),
            "detail": _detail_text(alert), "kind_vi": KIND_VI[alert.kind], "kind_en": KIND_EN[alert.kind],
            "sms_vi": SMS_KIND_VI[alert.kind], "sms_en": SMS_KIND_EN[alert.kind]}


def _alerts_url() -> str:
    return settings.PUBLIC_URL + ALERTS_PATH


def _detail_text(alert: Alert) -> str:
    d = alert.detail or {}
    if alert.kind == AlertKind.VIOLATION and d.get("venue"):
        return str(d["venue"])[:60]
    if alert.kind == AlertKind.VIOLATION and "distance_m" in d:
        return f"{number_text(round(d['distance_m']))} m (+/- {number_text(round(d.get('accuracy_m', 0)))} m)"
    if alert.kind == AlertKind.SYMPTOMS:
        parts = []
        if d.get("temperature_c") is not None:
            parts.append(f"{number_text(d['temperature_c'])} °C")
        if d.get("spo2") is not None:
            parts.append(f"SpO2 {number_text(d['spo2'])}%")
        if d.get("breathing_difficulty"):
            parts.append("kho tho")
        return ", ".join(parts)
    if alert.kind == AlertKind.SILENT and d.get("last_ping_at"):
        return str(d["last_ping_at"])[:16]
    return ""


def alert_notify(alert: Alert, order: Order | None) -> int:
    recipients = station_addresses([alert.commune_id]).get(alert.commune_id, [])
    return _queue(ALERT_TEMPLATE, recipients, lambda: _alert_context(alert, order)) if recipients else 0


@transaction.atomic
def alert_raise(*, order: Order | None = None, kind: str, about_on: date | None = None,
                report: SymptomReport | None = None, detail: dict | None = None, count: int = 1,
                now: datetime | None = None, notify: bool = True, person: Person | None = None) -> tuple[Alert, bool]:
    """(the alert, whether it is new). A VIOLATION, SILENT or SYMPTOMS event while an alert of its kind is still
    open or acknowledged adds `count` to its repeats (and refreshes its detail); a MISSED_REPORT or TEST_DUE of a
    day that already has one is that one. A new alert is told to the commune station after the commit.
    Without an order, the alert is about `person` (a VIOLATION: a case out with no order in force), for the
    station of the person's commune."""
    if kind not in AlertKind.values:
        raise ValueError(f"unknown alert kind {kind!r}")
    if order is None and (person is None or kind != AlertKind.VIOLATION):
        raise ValueError("an alert without an order is a violation about a person")
    if kind in ONE_A_DAY and about_on is None:
        raise ValueError(f"a {kind} alert is about a day")
    now = now or timezone.now()
    detail = detail or {}
    if kind in ONE_A_DAY:
        existing = Alert.objects.filter(order=order, kind=kind, about_on=about_on).first()
        if existing is not None:
            return existing, False
    elif kind in ONE_OPEN:
        existing = _add_to_open(order=order, person=person, kind=kind, count=count, detail=detail, report=report,
                                now=now)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():  # a savepoint: another request may have raised the same alert meanwhile
            alert = Alert.objects.create(kind=kind, order=order, person=person if order is None else None,
                                         commune_id=order.commune_id if order is not None else person.commune_id,
                                         raised_at=now, about_on=about_on, report=report, detail=detail,
                                         repeats=max(0, count - 1), last_seen_at=now)
    except IntegrityError:
        if kind in ONE_A_DAY:
            return Alert.objects.get(order=order, kind=kind, about_on=about_on), False
        existing = _add_to_open(order=order, person=person, kind=kind, count=count, detail=detail, report=report,
                                now=now)
        if existing is None:
            raise
        return existing, False
    if notify:
        alert_notify(alert, order)
    return alert, True


def _add_to_open(*, order: Order | None, person: Person | None, kind: str, count: int, detail: dict, report,
                 now: datetime) -> Alert | None:
    about = {"order": order} if order is not None else {"order__isnull": True, "person": person}
    open_alert = (Alert.objects.filter(kind=kind, status__in=OPEN_ALERT_STATUSES, **about)
                  .order_by("-raised_at").first())
    if open_alert is None:
        return None
    fields = {"repeats": F("repeats") + count, "last_seen_at": now}
    if detail:
        fields["detail"] = {**(open_alert.detail or {}), **detail}
    if report is not None:
        fields["report"] = report
    Alert.objects.filter(pk=open_alert.pk).update(**fields)
    open_alert.refresh_from_db()
    return open_alert


# ---- dealing with an alert -----------------------------------------------------------------------------------

# Which status each action leads to, and from which statuses it may be taken.
TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "acknowledge": (AlertStatus.ACKNOWLEDGED, (AlertStatus.OPEN,)),
    "handle": (AlertStatus.HANDLED, (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)),
    "close": (AlertStatus.CLOSED, (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.HANDLED)),
}


def alert_actions(alert: Alert) -> list[str]:
    """The actions that may be taken on the alert now, in the order of the buttons."""
    return [action for action, (_to, sources) in TRANSITIONS.items() if alert.status in sources]


@transaction.atomic
def alert_transition(*, alert: Alert, action: str, by, note: str = "", now: datetime | None = None) -> Alert:
    if action not in TRANSITIONS:
        raise DomainError(QuarantineErrorCode.ALERT_TRANSITION, _("Unknown action on an alert."), field="action")
    require_perm_or_citizen(by, Perm.QUARANTINE_ALERTS)
    if not is_system(by) and (getattr(by, "is_citizen", False) or not alert_reachable(by, alert)):
        raise DomainError(QuarantineErrorCode.ALERT_NOT_FOUND, _("Alert not found."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(QuarantineErrorCode.ALERT_TRANSITION,
                          _("The note is too long (at most %(n)d characters).") % {"n": NOTE_MAX}, field="note")
    target, sources = TRANSITIONS[action]
    now = now or timezone.now()
    stamp = {AlertStatus.ACKNOWLEDGED: "acknowledged", AlertStatus.HANDLED: "handled", AlertStatus.CLOSED: "closed"}[target]
    fields = {"status": target, f"{stamp}_at": now, f"{stamp}_by": as_user(by)}
    if note:
        fields["note"] = note
    # Conditional on the status it had, so two people pressing at once do not both succeed.
    updated = Alert.objects.filter(pk=alert.pk, status__in=sources).update(**fields)
    if not updated:
        current = Alert.objects.filter(pk=alert.pk).values_list("status", flat=True).first()
        raise DomainError(
            QuarantineErrorCode.ALERT_TRANSITION,
            _("This alert is %(status)s: it cannot be %(action)s.") % {
                "status": AlertStatus(current).label if current else "?",
                "action": {"acknowledge": _("acknowledged"), "handle": _("marked handled"),
                           "close": _("closed")}[action]},
            field="action", current=current or "")
    audit_record(actor=by, action="update", object_type="quarantine_alert", object_id=alert.pk,
                 person_id=alert.subject.pk, detail={"kind": alert.kind, "from": alert.status, "to": target})
    alert.refresh_from_db()
    return alert


def alert_acknowledge(*, alert: Alert, by, note: str = "", now: datetime | None = None) -> Alert:
    return alert_transition(alert=alert, action="acknowledge", by=by, note=note, now=now)


def alert_handle(*, alert: Alert, by, note: str = "", now: datetime | None = None) -> Alert:
    return alert_transition(alert=alert, action="handle", by=by, note=note, now=now)


def alert_close(*, alert: Alert, by, note: str = "", now: datetime | None = None) -> Alert:
    return alert_transition(alert=alert, action="close", by=by, note=note, now=now)


# ---- many at once (the periodic jobs) ------------------------------------------------------------------------

def alerts_digest_queue(*, counts: dict[int, dict[str, int]], on: date) -> int:
    """Tell each commune station what a periodic job raised: `counts` commune id → {kind: new alerts}."""
    if not counts:
        return 0
    addresses = station_addresses(counts)
    queued = 0
    for commune_id, kinds in counts.items():
        recipients = addresses.get(commune_id, [])
        if recipients and any(kinds.values()):
            counts = {kind: kinds.get(kind, 0) for kind in AlertKind.values}
            context = {"day": on.strftime("%d/%m"), "url": _alerts_url(), **counts,
                       "sms_vi": _digest_sms(counts, vi=True), "sms_en": _digest_sms(counts, vi=False)}
            queued += _queue(DIGEST_TEMPLATE, recipients, context)
    return queued
