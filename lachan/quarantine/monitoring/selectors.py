"""Reads for monitoring, scoped to the reader's jurisdiction: an order's monitoring state (the phone page, the
order page's panel, the citizen API), the alert queue and the overview per commune.

Who sees what: an order, its reports and its alerts belong to `Order.commune`. A commune station sees its
commune, a district officer the communes of the district, the province and the operations centre all of them;
a citizen sees their own orders (Person.account); every other account nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import SignedLink, is_system
from lachan.accounts.audit import audit_record_many
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.roles import Perm
from lachan.core.caching import TTLCache
from lachan.core.errors import NotFound, PermissionDenied
from lachan.geo.models import AdminLevel, AdminUnit

from .. import policy as quarantine_policy
from ..access import is_province, order_scope_q, order_text_q, require_perm
from ..errors import QuarantineErrorCode
from ..models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertKind,
    AlertStatus,
    Order,
    OrderKind,
    OrderStatus,
    RequiredTest,
    Setting,
    SymptomReport,
    TestStatus,
)

# ---- access ------------------------------------------------------------------------------------------------


def require_perm_or_citizen(user, perm: str) -> None:
    """System work and the signed link (user None) may do anything the service allows; staff what their role
    allows; a citizen acts on their own order only (checked with order_reachable)."""
    if getattr(user, "is_citizen", False) or is_system(user):
        return
    require_perm(user, perm)


def require_staff(user, perm: str) -> None:
    """Staff pages and lists: a citizen has no business there, whatever their own order."""
    if getattr(user, "is_citizen", False):
        raise PermissionDenied(QuarantineErrorCode.PERMISSION, _("You do not have permission to do this."))
    require_perm_or_citizen(user, perm)


def alert_reachable(user, alert: Alert) -> bool:
    """Whether `user` may act on the alert: on its order as order_reachable says; without an order, staff of the
    alert's commune (or above) and the system."""
    if alert.order_id is not None:
        return order_reachable(user, alert.order)
    if is_system(user):
        return True
    scope = scope_for(user)
    return scope.kind == "unit" and unit_in_scope(scope, alert.commune)


def order_reachable(user, order: Order) -> bool:
    """Whether `user` may act on the order: staff of its commune (or above), the citizen whose order it is, the
    holder of its signed link, the system; nobody else (None)."""
    if is_system(user):
        return True
    if isinstance(user, SignedLink):
        return user.opens(order)
    scope = scope_for(user)
    if scope.kind == "self":
        return order.person.account_id == user.pk
    return unit_in_scope(scope, order.commune)


def _not_found() -> NotFound:
    return NotFound(QuarantineErrorCode.ORDER_NOT_FOUND, _("Quarantine order not found."))


def order_for_monitoring(*, user, order_id, perm: str = Perm.QUARANTINE_VIEW) -> Order:
    """An order the user may see (404 whether or not it exists otherwise)."""
    require_perm_or_citizen(user, perm)
    try:
        order = (Order.objects.select_related("person", "commune__parent", "policy", "facility__place")
                 .filter(order_scope_q(user)).filter(pk=order_id).first())
    except (ValueError, TypeError):  # not a uuid
        order = None
    if order is None:
        raise _not_found()
    return order


def citizen_order(*, user) -> Order:
    """A citizen's order in force, else their latest one; NOT_IN_QUARANTINE (404) when they never had one."""
    if user is None or not getattr(user, "is_citizen", False):
        raise PermissionDenied(QuarantineErrorCode.PERMISSION, _("Only a citizen has an order of their own."))
    mine = Order.objects.select_related("person", "commune__parent", "policy", "facility__place").filter(
        person__account_id=user.pk)
    order = (mine.filter(status=OrderStatus.ACTIVE).first()
             or mine.order_by("-starts_on", "-created_at").first())
    if order is None:
        raise NotFound(QuarantineErrorCode.NOT_IN_QUARANTINE, _("You have no quarantine or isolation order."))
    return order


# ---- an order's monitoring -----------------------------------------------------------------------------------

_monitoring_cache = TTLCache(60)


def order_monitoring_rules(order: Order) -> quarantine_policy.Monitoring:
    """The monitoring thresholds of the policy version the order was made under (kept a minute per process)."""
    return _monitoring_cache.get(order.policy_id, lambda: quarantine_policy.monitoring(order.policy.rules))


@dataclass
class MonitoringState:
    order: Order
    today: date
    day: int  # day N of the order (0 before it starts)
    days: int  # of M
    active: bool
    reported_today: bool
    next_test: RequiredTest | None
    tests: list[RequiredTest] = field(default_factory=list)
    reports: list[SymptomReport] = field(default_factory=list)
    open_alerts: list[Alert] = field(default_factory=list)
    rules: quarantine_policy.Monitoring | None = None

    @property
    def consent(self) -> bool:
        return self.order.location_consent_at is not None

    @property
    def days_left(self) -> int:
        return max(0, (self.order.ends_on - self.today).days)


def order_monitoring(*, order: Order, today: date | None = None, reports: int = 7, staff: bool = False) -> MonitoringState:
    """What the phone page and the order page show of the monitoring. `staff`: with the open alerts."""
    today = today or timezone.localdate()
    days = (order.ends_on - order.starts_on).days + 1
    day = max(0, min(days, order.day_number(today)))
    tests = list(RequiredTest.objects.filter(order=order).order_by("due_on", "day"))
    next_test = next((t for t in tests if t.status == TestStatus.PLANNED and t.due_on >= today), None)
    return MonitoringState(
        order=order, today=today, day=day, days=days, active=order.is_active,
        reported_today=order.last_report_on is not None and order.last_report_on >= today,
        next_test=next_test, tests=tests,
        reports=list(SymptomReport.objects.filter(order=order).select_related("recorded_by")
                     .order_by("-on", "-reported_at")[:reports]),
        open_alerts=list(Alert.objects.filter(order=order, status__in=OPEN_ALERT_STATUSES).order_by("-raised_at"))
        if staff else [],
        rules=order_monitoring_rules(order),
    )


def report_list(*, user, order: Order) -> QuerySet[SymptomReport]:
    """An order's reports, newest first (the order was fetched within the user's reach)."""
    require_staff(user, Perm.QUARANTINE_VIEW)
    return SymptomReport.objects.filter(order=order).select_related("recorded_by").order_by("-on", "-reported_at")


# ---- the alert queue -----------------------------------------------------------------------------------------

STATUS_FILTERS = ("active", *AlertStatus.values, "all")  # active: open or acknowledged (still to be dealt with)


def alert_list(*, user, kind: str = "", status: str = "active", commune_id: int | None = None,
               query: str = "", since: datetime | None = None) -> QuerySet[Alert]:
    """The alerts the user sees, newest first. `status`: active (open or acknowledged), one status, or all."""
    require_staff(user, Perm.QUARANTINE_VIEW)
    queryset = (Alert.objects.select_related("order__person", "person", "commune__parent", "acknowledged_by",
                                             "handled_by", "closed_by")
                .filter(order_scope_q(user)))
    if kind in AlertKind.values:
        queryset = queryset.filter(kind=kind)
    if status == "active" or not status:
        queryset = queryset.filter(status__in=OPEN_ALERT_STATUSES)
    elif status in AlertStatus.values:
        queryset = queryset.filter(status=status)
    if commune_id:
        queryset = queryset.filter(commune_id=commune_id)
    if since is not None:
        queryset = queryset.filter(raised_at__gte=since)
    # The order's number, or its person as the people search finds them (with or without diacritics, CCCD, phone).
    # An alert without an order: its person.
    where = order_text_q(query, order="order__")
    if where:
        where |= Q(order__isnull=True) & order_text_q(query, order="order__", person="person")
    return queryset.filter(where).order_by("-raised_at", "-id")


def alert_get(*, user, alert_id, perm: str = Perm.QUARANTINE_VIEW, for_update: bool = False) -> Alert:
    require_staff(user, perm)
    try:
        pk = int(alert_id)
    except (TypeError, ValueError):
        pk = None
    queryset = Alert.objects.select_related("order__person", "order__commune__parent", "person", "commune__parent", "report",
                                            "acknowledged_by", "handled_by", "closed_by")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    alert = None
    if pk is not None:
        alert = queryset.filter(order_scope_q(user)).filter(pk=pk).first()
    if alert is None:
        raise NotFound(QuarantineErrorCode.ALERT_NOT_FOUND, _("Alert not found."))
    return alert


def alerts_audited(*, user, alerts: list[Alert], action: str = "list") -> None:
    """A page of the queue read by a user: one audit event per person shown (an alert is health data)."""
    if alerts:
        audit_record_many(actor=user, action=action, object_type="quarantine_alert",
                          person_ids=list(dict.fromkeys(a.subject.pk for a in alerts)))


def alerts_fingerprint(alerts: list[Alert]) -> str:
    """Changes when what a page of the queue shows changes (a new alert, a status, a repeat): the page's
    poll gets "nothing new" otherwise, and nothing is read again or audited."""
    digest = hashlib.sha1(usedforsecurity=False)
    for a in alerts:
        digest.update(f"{a.pk}:{a.status}:{a.repeats}:{a.last_seen_at}|".encode())
    return digest.hexdigest()[:16]


def communes_of(user) -> list[AdminUnit]:
    """The communes a user may filter on (none for a single commune's station)."""
    scope = scope_for(user)
    if scope.kind != "unit":
        return []
    return list(AdminUnit.objects.filter(pk__in=scope.communes(), level=AdminLevel.COMMUNE)
                .select_related("parent").order_by("parent__name", "name"))


# ---- the overview per commune --------------------------------------------------------------------------------

@dataclass
class OverviewRow:
    commune: AdminUnit | None
    quarantine_home: int = 0
    quarantine_facility: int = 0
    isolation_home: int = 0
    isolation_facility: int = 0
    release_due: int = 0  # last day today or before, still in force
    tests_due: int = 0  # people with a test planned for today
    open_alerts: int = 0
    alerts_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def quarantine(self) -> int:
        return self.quarantine_home + self.quarantine_facility

    @property
    def isolation(self) -> int:
        return self.isolation_home + self.isolation_facility

    @property
    def people(self) -> int:
        return self.quarantine + self.isolation

    @property
    def is_empty(self) -> bool:
        return not (self.people or self.open_alerts)

    def add(self, other: OverviewRow) -> None:
        for name in ("quarantine_home", "quarantine_facility", "isolation_home", "isolation_facility", "release_due",
                     "tests_due", "open_alerts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.alerts_by_kind.items():
            self.alerts_by_kind[kind] = self.alerts_by_kind.get(kind, 0) + n


@dataclass
class Overview:
    on: date
    rows: list[OverviewRow]
    total: OverviewRow


_COUNTS = {
    "quarantine_home": Q(kind=OrderKind.QUARANTINE, setting=Setting.HOME),
    "quarantine_facility": Q(kind=OrderKind.QUARANTINE, setting=Setting.FACILITY),
    "isolation_home": Q(kind=OrderKind.ISOLATION, setting=Setting.HOME),
    "isolation_facility": Q(kind=OrderKind.ISOLATION, setting=Setting.FACILITY),
}


def overview(*, user, on: date | None = None, district_id: int | None = None, hide_empty: bool = False) -> Overview:
    """One row per commune in the user's scope: people in quarantine and isolation by setting, due for release
    today, due for a test today, open alerts; and the totals. Four grouped queries, whatever the numbers."""
    require_staff(user, Perm.QUARANTINE_VIEW)
    on = on or timezone.localdate()
    scope = None if is_system(user) else scope_for(user)
    if scope is not None and scope.kind != "unit":
        return Overview(on=on, rows=[], total=OverviewRow(commune=None))
    communes = AdminUnit.objects.filter(level=AdminLevel.COMMUNE).select_related("parent")
    if scope is not None:
        communes = communes.filter(Q(path__startswith=scope.unit_path + "/") | Q(path=scope.unit_path))
    else:
        communes = communes.filter(tree=settings.LACHAN_ADMIN_TREE)
    if district_id:
        communes = communes.filter(parent_id=district_id)
    communes = list(communes.select_related("parent").order_by("parent__name", "name"))
    by_id = {c.pk: OverviewRow(commune=c) for c in communes}
    narrow = Q(commune_id__in=list(by_id)) if (district_id or scope is None or not is_province(scope)) else Q()
    orders = (Order.objects.filter(narrow, status=OrderStatus.ACTIVE).values("commune_id")
              .annotate(**{name: Count("pk", filter=q) for name, q in _COUNTS.items()},
                        release_due=Count("pk", filter=Q(ends_on__lte=on))).order_by())
    for row in orders:
        target = by_id.get(row["commune_id"])
        if target is not None:
            for name in (*_COUNTS, "release_due"):
                setattr(target, name, row[name])
    test_narrow = Q(order__commune_id__in=list(by_id)) if narrow else Q()
    for row in (RequiredTest.objects.filter(test_narrow, due_on=on, status=TestStatus.PLANNED,
                                            order__status=OrderStatus.ACTIVE)
                .values("order__commune_id").annotate(n=Count("order_id", distinct=True)).order_by()):
        target = by_id.get(row["order__commune_id"])
        if target is not None:
            target.tests_due = row["n"]
    for row in (Alert.objects.filter(narrow, status__in=OPEN_ALERT_STATUSES).values("commune_id", "kind")
                .annotate(n=Count("pk")).order_by()):
        target = by_id.get(row["commune_id"])
        if target is not None:
            target.open_alerts += row["n"]
            target.alerts_by_kind[row["kind"]] = row["n"]
    rows = [r for r in by_id.values() if not (hide_empty and r.is_empty)]
    total = OverviewRow(commune=None)
    for r in by_id.values():
        total.add(r)
    return Overview(on=on, rows=rows, total=total)


def districts_of(user) -> list[AdminUnit]:
    """The districts a province-wide user may narrow the overview to."""
    scope = scope_for(user)
    if scope.kind != "unit":
        return []
    return list(AdminUnit.objects.filter(path__startswith=scope.unit_path + "/", level=AdminLevel.DISTRICT)
                .order_by("name"))


def silent_since(rules: quarantine_policy.Monitoring, now: datetime) -> datetime:
    return now - timedelta(minutes=rules.silent_after_minutes)
