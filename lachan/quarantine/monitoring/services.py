"""Daily monitoring of the people in quarantine and isolation: the symptom check-in (phone page, citizen app, or
staff after a call), telling a person their order and the link of their phone page, and the daily jobs that
raise a MISSED_REPORT alert for each order with no check-in by the policy's `report_by` time and a TEST_DUE
alert for each required test due that day.

The jobs are set-based (one INSERT … SELECT per policy version in use, whatever the number of orders) and
idempotent: the model's constraints allow one such alert per order and day, and the SELECT skips those that
exist, so a job run twice (or late) raises nothing twice."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_person
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, ValidationFailed

from ..errors import QuarantineErrorCode
from ..models import (
    Alert,
    AlertKind,
    AlertStatus,
    Order,
    OrderStatus,
    ReportSource,
    Setting,
    SymptomReport,
    TestStatus,
)
from .alerts import alert_raise, alerts_digest_queue
from .selectors import order_monitoring_rules, order_reachable, require_perm_or_citizen

TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
SPO2_RANGE = (50, 100)
OTHER_MAX = 300

def _report_error(message, field: str) -> DomainError:
    return DomainError(QuarantineErrorCode.REPORT_INVALID, message, field=field)


def _temperature(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _report_error(_("The temperature must be a number of degrees Celsius."), "temperature_c")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise _report_error(_("The temperature must be a number of degrees Celsius."), "temperature_c") from None
    if not number.is_finite() or not TEMPERATURE_RANGE[0] <= number <= TEMPERATURE_RANGE[1]:
        raise _report_error(_("A body temperature is between 34 and 43 °C: check the thermometer."), "temperature_c")
    return number.quantize(Decimal("0.1"))


def _spo2(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and (math.isnan(value) or value != int(value))):
        raise _report_error(_("The oxygen saturation is a whole percentage."), "spo2")
    try:
        number = int(str(value).strip().rstrip("%"))
    except ValueError:
        raise _report_error(_("The oxygen saturation is a whole percentage."), "spo2") from None
    if not SPO2_RANGE[0] <= number <= SPO2_RANGE[1]:
        raise _report_error(_("An oxygen saturation is between 50 and 100 %: measure again."), "spo2")
    return number


def _check_actor(*, order: Order, source: str, by) -> None:
    if source not in ReportSource.values:
        raise _report_error(_("Unknown source of a check-in."), "source")
    staff = is_person(by) and not getattr(by, "is_citizen", False)
    if staff:
        require_perm_or_citizen(by, Perm.QUARANTINE_EDIT)
        if source != ReportSource.STAFF:
            raise _report_error(_("Staff record a check-in as made after a call."), "source")
    elif source == ReportSource.STAFF:
        raise _report_error(_("Only staff record a check-in after a call."), "source")
    if not order_reachable(by, order):
        raise DomainError(QuarantineErrorCode.ORDER_NOT_FOUND, _("Quarantine order not found."))


@transaction.atomic(durable=True)
def symptom_report_record(
    *, order: Order, on: date | None = None, source: str, temperature_c=None, fever: bool = False,
    cough: bool = False, sore_throat: bool = False, breathing_difficulty: bool = False,
    loss_of_taste_smell: bool = False, spo2=None, other: str = "", by=None, now: datetime | None = None,
) -> SymptomReport:
    """Record a daily check-in of an order in force, for a day of the order up to today. Fever (ticked, or a
    temperature from the policy's `fever_from_c`), difficulty breathing or an oxygen saturation below the
    policy's `spo2_below` make it alarming: a SYMPTOMS alert is raised at once. Several check-ins a day are
    kept; a late one closes the day's MISSED_REPORT alert if nobody has dealt with it yet."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _check_actor(order=order, source=source, by=by)
    # The order row locked: two check-ins at once must not both raise a symptoms alert.
    current = Order.objects.select_for_update().filter(pk=order.pk).values_list("status", flat=True).first()
    if current != OrderStatus.ACTIVE:
        raise DomainError(QuarantineErrorCode.NOT_IN_QUARANTINE,
                          _("This person is not in quarantine or isolation now: the order has ended."), field="order")
    on = on or today
    errors = []
    if on > today:
        errors.append(_report_error(_("A check-in cannot be for a day in the future."), "on"))
    elif not order.starts_on <= on <= order.ends_on:
        errors.append(_report_error(
            _("The day must be within the order, from %(start)s to %(end)s.")
            % {"start": order.starts_on.strftime("%d/%m/%Y"), "end": order.ends_on.strftime("%d/%m/%Y")}, "on"))
    readings = {}
    for name, check, value in (("temperature_c", _temperature, temperature_c), ("spo2", _spo2, spo2)):
        try:
            readings[name] = check(value)
        except DomainError as exc:
            errors.append(exc)
    other = (other or "").strip()
    if len(other) > OTHER_MAX:
        errors.append(_report_error(_("Other symptoms: at most %(n)d characters.") % {"n": OTHER_MAX}, "other"))
    if errors:
        raise ValidationFailed(errors) if len(errors) > 1 else errors[0]
    rules = order_monitoring_rules(order)
    temperature, saturation = readings["temperature_c"], readings["spo2"]
    fever = bool(fever) or (temperature is not None and temperature >= Decimal(str(rules.fever_from_c)))
    low_oxygen = saturation is not None and saturation < rules.spo2_below
    alarming = fever or bool(breathing_difficulty) or low_oxygen
    report = SymptomReport.objects.create(
        order=order, on=on, reported_at=now, source=source, temperature_c=temperature, fever=fever,
        cough=bool(cough), sore_throat=bool(sore_throat), breathing_difficulty=bool(breathing_difficulty),
        loss_of_taste_smell=bool(loss_of_taste_smell), spo2=saturation, other=other, alarming=alarming,
        recorded_by=None if getattr(by, "is_citizen", False) else as_user(by))
    Order.objects.filter(Q(last_report_on__isnull=True) | Q(last_report_on__lt=on), pk=order.pk).update(
        last_report_on=on)
    if order.last_report_on is None or order.last_report_on < on:
        order.last_report_on = on
    # A check-in after the evening's job: that day's missed check-in is answered (unless someone took it up).
    Alert.objects.filter(order=order, kind=AlertKind.MISSED_REPORT, about_on=on, status=AlertStatus.OPEN).update(
        status=AlertStatus.CLOSED, closed_at=now, note=_("Checked in late."))
    if alarming:
        detail = {"report_id": report.pk, "on": on.isoformat(), "fever": fever,
                  "temperature_c": str(temperature) if temperature is not None else None, "spo2": saturation,
                  "breathing_difficulty": bool(breathing_difficulty), "source": source}
        alert_raise(order=order, kind=AlertKind.SYMPTOMS, report=report, detail=detail, now=now)
    audit_record(actor=by, action="create", object_type="quarantine_report", object_id=report.pk,
                 person_id=order.person_id, detail={"order": order.code, "on": on.isoformat(), "alarming": alarming,
                                                    "source": source})
    return report


# ---- the daily jobs --------------------------------------------------------------------------------------------

def _db_date(value: date):
    return connection.ops.adapt_datefield_value(value)


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _tables() -> dict[str, str]:
    from ..models import RequiredTest

    qn = connection.ops.quote_name
    return {"alert": qn(Alert._meta.db_table), "order": qn(Order._meta.db_table),
            "test": qn(RequiredTest._meta.db_table)}


def _new_by_commune(*, kind: str, now: datetime) -> dict[int, int]:
    return dict(Alert.objects.filter(kind=kind, raised_at=now).values("commune_id").annotate(n=Count("pk"))
                .order_by().values_list("commune_id", "n"))


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def reports_missed_raise(*, now: datetime | None = None, notify: bool = True) -> int:
    """A MISSED_REPORT alert for each home order in force with no check-in today, once the `report_by` time of
    its policy version has passed. Orders made today are not counted (the person may have been told in the
    evening). Returns the number of alerts raised; each commune station gets one digest."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    policies = (Order.objects.filter(status=OrderStatus.ACTIVE).values_list("policy_id", flat=True)
                .order_by().distinct())
    t = _tables()
    raised = 0
    for policy_id in list(policies):
        sample = Order.objects.filter(policy_id=policy_id).select_related("policy").first()
        if sample is None or local.time() < order_monitoring_rules(sample).report_by:
            continue
        sql = (
            f"INSERT INTO {t['alert']} (kind, order_id, commune_id, raised_at, about_on, detail, repeats, last_seen_at,"
            f" status, note) "
            f"SELECT %s, o.id, o.commune_id, %s, %s, '{{}}', 0, %s, 'open', '' FROM {t['order']} o "
            f"WHERE o.status = 'active' AND o.setting = %s AND o.policy_id = %s AND o.starts_on <= %s "
            f"AND o.ends_on >= %s AND o.created_at < %s AND (o.last_report_on IS NULL OR o.last_report_on < %s) "
            f"AND NOT EXISTS (SELECT 1 FROM {t['alert']} a WHERE a.order_id = o.id AND a.kind = %s AND a.about_on = %s) "
            f"ON CONFLICT DO NOTHING")
        day = _db_date(today)
        at = _db_datetime(now)
        with connection.cursor() as cursor:
            cursor.execute(sql, [AlertKind.MISSED_REPORT.value, at, day, at, Setting.HOME.value,
                                 _policy_key(policy_id), day, day, _db_datetime(_local_start(today)), day,
                                 AlertKind.MISSED_REPORT.value, day])
            raised += max(cursor.rowcount, 0)
    if raised and notify:
        counts = _new_by_commune(kind=AlertKind.MISSED_REPORT, now=now)
        alerts_digest_queue(counts={c: {AlertKind.MISSED_REPORT: n} for c, n in counts.items()}, on=today)
    return raised


def _policy_key(policy_id):
    """A foreign key's value as hand-written SQL compares it (uuid as 32 hex digits on SQLite)."""
    from lachan.core.models import Policy

    return Policy._meta.pk.get_db_prep_value(policy_id, connection)


@transaction.atomic
def tests_due_raise(*, now: datetime | None = None, notify: bool = True) -> int:
    """A TEST_DUE alert for each required test due today (or yesterday, if the job did not run) still planned,
    of an order in force: the station samples the person that day. Returns the number raised."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    t = _tables()
    at = _db_datetime(now)
    sql = (
        f"INSERT INTO {t['alert']} (kind, order_id, commune_id, raised_at, about_on, detail, repeats, last_seen_at,"
        f" status, note) "
        f"SELECT %s, o.id, o.commune_id, %s, r.due_on, '{{}}', 0, %s, 'open', '' FROM {t['test']} r "
        f"JOIN {t['order']} o ON o.id = r.order_id "
        f"WHERE r.status = %s AND r.due_on <= %s AND r.due_on >= %s AND o.status = 'active' "
        f"AND NOT EXISTS (SELECT 1 FROM {t['alert']} a WHERE a.order_id = o.id AND a.kind = %s AND a.about_on = r.due_on) "
        f"ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, [AlertKind.TEST_DUE.value, at, at, TestStatus.PLANNED.value, _db_date(today),
                             _db_date(today - timedelta(days=1)), AlertKind.TEST_DUE.value])
        raised = max(cursor.rowcount, 0)
    if raised and notify:
        counts = _new_by_commune(kind=AlertKind.TEST_DUE, now=now)
        alerts_digest_queue(counts={c: {AlertKind.TEST_DUE: n} for c, n in counts.items()}, on=today)
    return raised


def missed_reports_job() -> str:
    return f"{reports_missed_raise()} missed check-ins"


def tests_due_job() -> str:
    return f"{tests_due_raise()} tests due"
