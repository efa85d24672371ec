"""Location monitoring, with the person's consent: the citizen app sends batches of location fixes (pings); a
fix outside the geofence around the place of quarantine raises a VIOLATION alert in the same request, and a
consenting person whose app has sent nothing for the policy's `silent_after_minutes` gets a SILENT alert from
a job that runs every minute.

- Outside means outside even allowing for the fix's accuracy: distance − accuracy > radius, so a poor fix
  near the house is not a violation. A fix worse than POOR_FIX_M is stored but never judged.
- The centre of the geofence is the order's latitude/longitude (the home entered by staff, or the facility).
  An order with no centre yet takes the first fix of at most CENTRE_FIX_M accuracy after consent as its
  centre (the person is at home when they give consent in the app); fixes before that are stored, not judged.
- A batch is all or nothing: one impossible fix (coordinates out of range or not a number, a time in the
  future beyond CLOCK_SKEW or before the order's first day, an accuracy that is not positive) refuses it
  with the fix named. A batch sent again (the app did not get the answer) is not stored twice: fixes of the
  order at a time already stored are skipped.
- Pings are personal data kept only for the order: revoking consent deletes them, and so does the order's
  end (pings_delete_ended, daily); those of an order in force are deleted past the tracing horizon with the rest
  of the data collected for tracing (pings_delete_before, lachan.workflows.retention)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_person, is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError

from ..errors import QuarantineErrorCode
from ..models import Alert, AlertKind, LocationPing, Order, OrderStatus
from .alerts import alert_raise, alerts_digest_queue
from .selectors import order_monitoring_rules, order_reachable, require_perm_or_citizen

MAX_BATCH = 100
CLOCK_SKEW = timedelta(minutes=2)  # a phone's clock a little ahead is not "in the future"
POOR_FIX_M = 500.0  # a fix this poor says nothing about where the person is
CENTRE_FIX_M = 50.0  # a fix good enough to become the centre of the geofence
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _check_actor(order: Order, by) -> None:
    staff = is_person(by) and not getattr(by, "is_citizen", False)
    if staff:
        require_perm_or_citizen(by, Perm.QUARANTINE_EDIT)
    if not order_reachable(by, order):
        raise DomainError(QuarantineErrorCode.ORDER_NOT_FOUND, _("Quarantine order not found."))


def _require_active(order: Order) -> None:
    if order.status != OrderStatus.ACTIVE:
        raise DomainError(QuarantineErrorCode.NOT_IN_QUARANTINE,
                          _("This person is not in quarantine or isolation now: the order has ended."), field="order")


@transaction.atomic(durable=True)
def location_consent_give(*, order: Order, by=None, now: datetime | None = None) -> Order:
    """The person agrees that the app sends their location while the order is in force (by: the citizen, staff
    recording a signed paper form, or None through the signed link)."""
    _check_actor(order, by)
    _require_active(order)
    if order.location_consent_at is None:
        order.location_consent_at = now or timezone.now()
        Order.objects.filter(pk=order.pk).update(location_consent_at=order.location_consent_at)
        audit_record(actor=by, action="update", object_type="quarantine_location_consent", object_id=order.pk,
                     person_id=order.person_id, detail={"order": order.code, "consent": True})
    return order


@transaction.atomic(durable=True)
def location_consent_revoke(*, order: Order, by=None) -> Order:
    """Consent withdrawn: no more pings are taken, those taken are deleted, no SILENT alert is raised."""
    _check_actor(order, by)
    if order.location_consent_at is not None:
        order.location_consent_at = None
        Order.objects.filter(pk=order.pk).update(location_consent_at=None)
        deleted = LocationPing.objects.filter(order=order).delete()[0]
        audit_record(actor=by, action="update", object_type="quarantine_location_consent", object_id=order.pk,
                     person_id=order.person_id, detail={"order": order.code, "consent": False,
                                                        "pings_deleted": deleted})
    return order


@dataclass
class PingsResult:
    received: int
    stored: int  # the others were already stored (a batch sent again)
    outside: int
    alert_id: int | None  # the VIOLATION alert raised or added to
    centre_set: bool


def _ping_error(message, index: int, name: str, code=QuarantineErrorCode.PING_INVALID) -> DomainError:
    return DomainError(code, message, field=f"pings[{index}].{name}", index=index)


def _number(value, index: int, name: str) -> float:
    if isinstance(value, bool):
        raise _ping_error(_("Not a number."), index, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _ping_error(_("Not a number."), index, name) from None
    if not math.isfinite(number):
        raise _ping_error(_("Not a number."), index, name)
    return number


def _aware(value, index: int) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _ping_error(_("Not a date and time."), index, "at") from None
    if not isinstance(value, datetime):
        raise _ping_error(_("Not a date and time."), index, "at")
    if timezone.is_naive(value):
        raise _ping_error(_("The time of a fix must carry its time zone (e.g. 2021-08-01T08:00:00+07:00)."),
                          index, "at")
    return value.astimezone(UTC)


def pings_validate(*, order: Order, pings: list, now: datetime) -> list[tuple[datetime, float, float, float]]:
    """(at, latitude, longitude, accuracy) of every fix, or DomainError naming the first impossible one."""
    if not isinstance(pings, (list, tuple)) or not pings:
        raise DomainError(QuarantineErrorCode.PING_INVALID, _("Send at least one location fix."), field="pings")
    if len(pings) > MAX_BATCH:
        raise DomainError(QuarantineErrorCode.PING_INVALID,
                          _("At most %(n)d fixes per call.") % {"n": MAX_BATCH}, field="pings")
    earliest = timezone.make_aware(datetime.combine(order.starts_on, time.min))
    latest = now + CLOCK_SKEW
    out = []
    for i, ping in enumerate(pings):
        get = ping.get if isinstance(ping, dict) else (lambda name, _p=ping: getattr(_p, name, None))
        lat = _number(get("latitude"), i, "latitude")
        lon = _number(get("longitude"), i, "longitude")
        accuracy = _number(get("accuracy_m"), i, "accuracy_m")
        if not -90 <= lat <= 90:
            raise _ping_error(_("A latitude is between -90 and 90."), i, "latitude")
        if not -180 <= lon <= 180:
            raise _ping_error(_("A longitude is between -180 and 180."), i, "longitude")
        if accuracy <= 0 or accuracy > 100_000:
            raise _ping_error(_("The accuracy is a positive number of metres."), i, "accuracy_m")
        at = _aware(get("at"), i)
        if at > latest:
            raise _ping_error(_("This fix is dated in the future: check the phone's clock."), i, "at",
                              code=QuarantineErrorCode.PING_FUTURE)
        if at < earliest:
            raise _ping_error(_("This fix is older than the order."), i, "at")
        out.append((at, lat, lon, accuracy))
    return out


def _facility_centre(order: Order) -> tuple[float, float] | None:
    if order.facility_id is None:
        return None
    place = order.facility.place
    if place.latitude is None or place.longitude is None:
        return None
    return place.latitude, place.longitude


@transaction.atomic(durable=True)
def pings_record(*, order: Order, pings: list, now: datetime | None = None, by=None) -> PingsResult:
    """Store a batch of fixes (≤ MAX_BATCH) of an order in force with consent, judge each against the geofence
    and raise (or add to) the VIOLATION alert in the same transaction when any is outside."""
    now = now or timezone.now()
    if not is_system(by):
        _check_actor(order, by)
    locked = (Order.objects.select_for_update(of=("self",)).select_related("facility__place")
              .filter(pk=order.pk).first())
    if locked is None:
        raise DomainError(QuarantineErrorCode.ORDER_NOT_FOUND, _("Quarantine order not found."))
    locked.person = order.person  # already read by the caller
    order = locked
    _require_active(order)
    if order.location_consent_at is None:
        raise DomainError(QuarantineErrorCode.NO_CONSENT,
                          _("This person has not agreed to share their location: no fix is taken."), field="consent")
    fixes = pings_validate(order=order, pings=pings, now=now)
    radius = float(order.geofence_radius_m)
    centre = (order.latitude, order.longitude) if order.latitude is not None and order.longitude is not None else None
    centre_set = False
    if centre is None:
        centre = _facility_centre(order)
    if centre is None:
        good = sorted((f for f in fixes if f[3] <= CENTRE_FIX_M and f[0] >= order.location_consent_at),
                      key=lambda f: f[0])
        if good:
            centre = (good[0][1], good[0][2])
            Order.objects.filter(pk=order.pk).update(latitude=centre[0], longitude=centre[1])
            order.latitude, order.longitude = centre
            centre_set = True
    # A batch sent again: its fixes are stored already.
    seen = set(LocationPing.objects.filter(order=order, at__in=[f[0] for f in fixes]).values_list("at", flat=True))
    rows, outside, worst = [], 0, None
    for at, lat, lon, accuracy in fixes:
        if at in seen:
            continue
        seen.add(at)
        distance = haversine_m(centre[0], centre[1], lat, lon) if centre else 0.0
        is_out = centre is not None and accuracy <= POOR_FIX_M and distance - accuracy > radius
        rows.append(LocationPing(order=order, at=at, received_at=now, latitude=lat, longitude=lon,
                                 accuracy_m=accuracy, distance_m=round(distance, 1), outside=is_out))
        if is_out:
            outside += 1
            if worst is None or at > worst.at:
                worst = rows[-1]
    LocationPing.objects.bulk_create(rows)
    latest = max((r.at for r in rows), default=None)
    previous = order.last_ping_at
    if latest is not None and (previous is None or latest > previous):
        Order.objects.filter(pk=order.pk).update(last_ping_at=latest)
        order.last_ping_at = latest
        if previous is None or previous < now - timedelta(minutes=order_monitoring_rules(order).silent_after_minutes):
            _silence_ended(order, latest)
    alert_id = None
    if outside:
        alert, _new = alert_raise(order=order, kind=AlertKind.VIOLATION, count=outside, now=now, detail={
            "at": worst.at.isoformat(), "distance_m": worst.distance_m, "accuracy_m": worst.accuracy_m,
            "latitude": round(worst.latitude, 6), "longitude": round(worst.longitude, 6), "radius_m": radius})
        alert_id = alert.pk
    return PingsResult(received=len(fixes), stored=len(rows), outside=outside, alert_id=alert_id,
                       centre_set=centre_set)


def _silence_ended(order: Order, at: datetime) -> None:
    """The app is heard from again: the open SILENT alert says so (the station may close it)."""
    for alert in Alert.objects.filter(order=order, kind=AlertKind.SILENT, status__in=("open", "acknowledged")):
        Alert.objects.filter(pk=alert.pk).update(detail={**(alert.detail or {}), "heard_again_at": at.isoformat()})


# ---- the jobs -------------------------------------------------------------------------------------------------

@transaction.atomic
def silent_raise(*, now: datetime | None = None, notify: bool = True) -> int:
    """A SILENT alert for each consenting order in force whose app has sent nothing (since its last fix, or
    since consent) for its policy's `silent_after_minutes`: one per silence (not again once the station has
    dealt with it, until the app is heard from and falls silent again). One INSERT … SELECT per policy version."""
    now = now or timezone.now()
    qn = connection.ops.quote_name
    alert_table, order_table = qn(Alert._meta.db_table), qn(Order._meta.db_table)
    policies = (Order.objects.filter(status=OrderStatus.ACTIVE, location_consent_at__isnull=False)
                .values_list("policy_id", flat=True).order_by().distinct())
    at = connection.ops.adapt_datetimefield_value(now)
    raised = 0
    for policy_id in list(policies):
        sample = Order.objects.filter(policy_id=policy_id).select_related("policy").first()
        since = now - timedelta(minutes=order_monitoring_rules(sample).silent_after_minutes)
        since_db = connection.ops.adapt_datetimefield_value(since)
        sql = (
            f"INSERT INTO {alert_table} (kind, order_id, commune_id, raised_at, about_on, detail, repeats, "
            f"last_seen_at, status, note) "
            f"SELECT %s, o.id, o.commune_id, %s, NULL, '{{}}', 0, %s, 'open', '' FROM {order_table} o "
            f"WHERE o.status = 'active' AND o.policy_id = %s AND o.location_consent_at IS NOT NULL "
            f"AND COALESCE(o.last_ping_at, o.location_consent_at) < %s "
            f"AND NOT EXISTS (SELECT 1 FROM {alert_table} a WHERE a.order_id = o.id AND a.kind = %s "
            f"AND a.raised_at >= COALESCE(o.last_ping_at, o.location_consent_at)) "
            f"ON CONFLICT DO NOTHING")
        with connection.cursor() as cursor:
            cursor.execute(sql, [AlertKind.SILENT.value, at, at, policy_id, since_db, AlertKind.SILENT.value])
            raised += max(cursor.rowcount, 0)
    if raised and notify:
        counts = dict(Alert.objects.filter(kind=AlertKind.SILENT, raised_at=now).values("commune_id")
                      .annotate(n=Count("pk")).order_by().values_list("commune_id", "n"))
        alerts_digest_queue(counts={c: {AlertKind.SILENT: n} for c, n in counts.items()},
                            on=timezone.localdate(now))
    return raised


def pings_delete_ended() -> int:
    """Delete the pings of orders no longer in force (the purpose of keeping them is gone)."""
    ended = Order.objects.filter(~Q(status=OrderStatus.ACTIVE)).values("pk")
    return LocationPing.objects.filter(order_id__in=ended).delete()[0]


def pings_delete_before(*, cutoff: datetime) -> int:
    """Delete the pings taken before `cutoff`, whatever their order's state. Only orders begun before it can have
    any (a fix is never older than its order), so the (order, time) index finds them."""
    early = Order.objects.filter(starts_on__lte=timezone.localdate(cutoff)).values("pk")
    return LocationPing.objects.filter(order_id__in=early, at__lt=cutoff).delete()[0]


def silent_job() -> str:
    return f"{silent_raise()} silent"


def pings_cleanup_job() -> str:
    return f"{pings_delete_ended()} pings of ended orders deleted"
