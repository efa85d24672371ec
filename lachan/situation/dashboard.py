"""The operations-centre dashboard (issue 6, item 4): the indicators and the epidemic curve of one user's
jurisdiction, gathered from cases, tracing, labs, quarantine and risk; the live feed beside them is
lachan.situation.feed. Read only; nothing here writes (except the laboratory's counts kept ahead, which
`lachan.labs.dashboard.stats` makes at its first read of a period).

Who sees what: each block needs the permission of the domain it reads and a jurisdiction that domain knows —
cases, tracing and quarantine figures need an administrative unit (province, district, commune); the tests a unit
or a laboratory (its own tubes, as the laboratory dashboard counts them); risk levels and entered vaccination
coverage RISK_VIEW and a unit. A block the user may not read is None (the page and the API leave it out): a
laboratory user sees no case indicator, an enterprise or venue account none at all. The feed reads through the
same scope (ops_scope).

Scale (1,000,000 people, 100,000 cases, hundreds of thousands of tests): every block is one or two aggregate
queries over a bounded window on an indexed column — cases by `confirmed_at` over 66 days, orders in force by
status, open alerts by status, tests from the laboratory's counts per day (`ResultStat`), tubes by `released_at`
over 7 days, assessments of one day. The deployment's province (the common case of the operations centre) is read
without a list of communes, as the domains' own selectors do. The tube counts of a week, which must read every
tube released in it, are kept PAST_TTL seconds per process and scope for the days before today, as the curve's
are; today's are counted at every read.

Timed by a benchmark: `operations_summary(user=…)` (or one block: `cases_and_curve`, `quarantine_now`,
`open_alerts`, `tests`, `vaccination`, `risk_levels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_person, is_system
from lachan.accounts.jurisdiction import Scope, scope_for
from lachan.accounts.roles import Perm
from lachan.cases.isolation import PLACED_BY_ORDER
from lachan.cases.models import Case, CaseOrigin
from lachan.core.caching import TTLCache
from lachan.core.dates import local_midnight
from lachan.core.db import values_in_q
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.labs import dashboard as lab_board
from lachan.labs.dashboard import stats as lab_stats
from lachan.labs.models import Result, Sample, SampleStatus
from lachan.quarantine.access import in_facility_q, order_in_force_q
from lachan.quarantine.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertKind,
    AlertStatus,
    Order,
    OrderKind,
)
from lachan.risk.models import COVERAGE_KINDS, RiskAssessment, RiskInput, RiskInputKind
from lachan.tracing.models import Tier

CURVE_DAYS = 60
AVERAGE_DAYS = 7
WEEK = 7
PAST_TTL = 300  # seconds the days before today are kept (curve, tubes)
URGENT_ALERT_KINDS = (AlertKind.VIOLATION, AlertKind.SYMPTOMS)

_past_cache = TTLCache(PAST_TTL, maxsize=2_000)


# ---- whose figures ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpsScope:
    """The user's jurisdiction as the dashboard reads it. `communes` is None for the deployment's whole province
    (no filter: every record is in it), else the ids of the communes in the user's unit."""

    user: object
    scope: Scope
    unit: AdminUnit | None
    communes: tuple[int, ...] | None
    commune_ids: tuple[int, ...]  # every commune of the unit, the province's too (for indexes led by the commune)
    labs: lab_board.DashScope | None  # None: no test figures for this user
    cases: bool  # cases, clusters and tracing
    quarantine: bool
    risk: bool
    label: str = ""

    def commune_q(self, field_name: str) -> Q:
        return Q() if self.communes is None else values_in_q(field_name, self.communes)

    def indexed_commune_q(self, field_name: str) -> Q:
        """The communes as a list even for the whole province: where an index starts with the commune (alerts,
        the call list), the list lets the database walk it, instead of reading the whole table."""
        return values_in_q(field_name, self.commune_ids)

    @property
    def key(self) -> tuple:
        return (self.scope.kind, self.scope.unit_id, self.scope.place_id)

    @property
    def anything(self) -> bool:
        return bool(self.cases or self.quarantine or self.risk or self.labs)


def ops_scope(user) -> OpsScope:
    """What the user may read on the dashboard, and where: the system actor the whole province; None or
    anyone not logged in nothing."""
    if is_system(user):
        unit = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE).first()
        scope = Scope(kind="unit", unit_path=unit.path if unit else "", unit_id=unit.pk if unit else None)
        return OpsScope(user=None, scope=scope, unit=unit, communes=None,
                        commune_ids=tuple(scope.commune_ids()) if unit else (), labs=lab_board.DashScope("all"), cases=True, quarantine=True,
                        risk=True, label=unit.name if unit else "")
    if not is_person(user):
        return OpsScope(user=None, scope=Scope(kind="none"), unit=None, communes=(), commune_ids=(), labs=None,
                        cases=False, quarantine=False, risk=False, label="")
    scope = scope_for(user)
    can = user.has_perm_code
    labs = lab_board.dashboard_scope(user) if can(Perm.LABS_VIEW) else None
    if labs is not None and labs.kind == "none":
        labs = None
    if scope.kind != "unit":
        place = getattr(user, "jurisdiction_place", None) if scope.kind == "place" else None
        return OpsScope(user=user, scope=scope, unit=None, communes=(), commune_ids=(), labs=labs, cases=False, quarantine=False,
                        risk=False, label=str(place or ""))
    unit = AdminUnit.objects.select_related("parent").get(pk=scope.unit_id)
    province = scope.unit_path == f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}"
    commune_ids = tuple(scope.commune_ids())
    return OpsScope(user=user, scope=scope, unit=unit, communes=None if province else commune_ids,
                    commune_ids=commune_ids, labs=labs, cases=can(Perm.CASES_VIEW), quarantine=can(Perm.QUARANTINE_VIEW),
                    risk=can(Perm.RISK_VIEW), label=unit.label)


# ---- time -------------------------------------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _positivity(results: int, positives: int, positive_pools: int) -> float | None:
    percent = lab_stats.positivity_percent(results=results, positives=positives, positive_pools=positive_pools)
    return None if percent is None else round(percent, 2)


# ---- cases and the epidemic curve -------------------------------------------------------------------------------

def _case_counts(ops: OpsScope, *, first: date, last: date) -> dict[date, list[int]]:
    """Local day → [community, in quarantine] of the cases confirmed from `first` to `last` (one GROUP BY)."""
    rows = (Case.objects.filter(ops.commune_q("commune_id"),
                                confirmed_at__gte=local_midnight(first),
                                confirmed_at__lt=local_midnight(last + timedelta(days=1)))
            .annotate(day=lab_stats.LocalDay("confirmed_at"))
            .values_list("day", "origin").annotate(n=Count("pk")).order_by())
    out: dict[date, list[int]] = {}
    for day, origin, n in rows:
        counts = out.setdefault(date.fromisoformat(str(day)), [0, 0])
        counts[0 if origin == CaseOrigin.COMMUNITY else 1] += n
    return out


def _window(curve: list[dict], start: int, end: int | None = None) -> dict:
    days = curve[start:end]
    community = sum(d["community"] for d in days)
    in_quarantine = sum(d["in_quarantine"] for d in days)
    return {"total": community + in_quarantine, "community": community, "in_quarantine": in_quarantine}


def _case_counts_kept(ops: OpsScope, *, first: date, today: date, live: bool) -> dict[date, list[int]]:
    """The days before today kept PAST_TTL seconds per process and jurisdiction (they change only when a case is
    confirmed with an earlier time, or corrected); today's counted at every read."""
    yesterday = today - timedelta(days=1)
    if live:
        past = _past_cache.get(("cases", ops.key, first, today),
                               lambda: _case_counts(ops, first=first, last=yesterday))
    else:
        past = _case_counts(ops, first=first, last=yesterday)
    return {**past, **_case_counts(ops, first=today, last=today)}


def cases_and_curve(ops: OpsScope, *, now: datetime | None = None) -> tuple[dict | None, dict | None]:
    """New F0 today and over the last 7 days (community / detected in quarantine), with the 7 days before, and the
    curve: cases per day of confirmation over CURVE_DAYS days with the trailing 7-day average. Cases are counted
    where the person lives. One aggregate query over the CURVE_DAYS + 6 days (the first average needs them)."""
    if not ops.cases:
        return None, None
    live, now = now is None, _now(now)
    today = timezone.localtime(now).date()
    first = today - timedelta(days=CURVE_DAYS + AVERAGE_DAYS - 2)
    counts = _case_counts_kept(ops, first=first, today=today, live=live)
    series = []
    for n in range(CURVE_DAYS + AVERAGE_DAYS - 1):
        day = first + timedelta(days=n)
        community, in_quarantine = counts.get(day, (0, 0))
        series.append({"day": day, "community": community, "in_quarantine": in_quarantine,
                       "total": community + in_quarantine})
    for n, point in enumerate(series):
        recent = series[max(0, n - AVERAGE_DAYS + 1):n + 1]
        point["average"] = round(sum(p["total"] for p in recent) / AVERAGE_DAYS, 2)
    curve = series[AVERAGE_DAYS - 1:]
    week, previous = _window(curve, -WEEK), _window(curve, -2 * WEEK, -WEEK)
    change = week["total"] - previous["total"]
    indicator = {
        "today": _window(curve, -1), "week": week, "previous_week": previous,
        "change": change, "change_percent": _percent(change, previous["total"]),
    }
    return indicator, {"days": curve, "first": curve[0]["day"], "last": today,
                       "peak": max((d["total"] for d in curve), default=0)}


# ---- quarantine and isolation -----------------------------------------------------------------------------------

def isolated_case_q() -> Q:
    """A filter on Order: the orders whose person's case is placed by its order (not in hospital, recovered or
    deceased), i.e. those the cases list shows at home or in a facility (lachan.cases.isolation); and those of a
    person with no case on record (an order made without one: still someone isolating)."""
    cases = Case.objects.filter(person_id=OuterRef("person_id"))
    return Q(Exists(cases.filter(status__in=PLACED_BY_ORDER))) | ~Q(Exists(cases))


def quarantine_now(ops: OpsScope) -> dict | None:
    """Orders in force today: contacts in quarantine (F1 among them; at home / in a facility) and cases in
    isolation (at home / in a facility, the same rule as the cases list's)."""
    if not ops.quarantine:
        return None
    today = timezone.localdate()
    quarantine = Q(kind=OrderKind.QUARANTINE)
    # The cases at home or in a facility, as the cases list shows and filters them (lachan.cases.isolation): an
    # isolation order in force whose person's case is not in hospital, recovered or deceased. Counted by the
    # order's commune (the station monitoring it), where the list reads the person's.
    isolation = Q(kind=OrderKind.ISOLATION) & isolated_case_q()
    facility = in_facility_q(today)
    found = Order.objects.filter(ops.commune_q("commune_id"), order_in_force_q(today)).aggregate(
        quarantine=Count("pk", filter=quarantine),
        quarantine_f1=Count("pk", filter=quarantine & Q(contact_tier=Tier.F1)),
        quarantine_facility=Count("pk", filter=quarantine & facility),
        isolation=Count("pk", filter=isolation),
        isolation_facility=Count("pk", filter=isolation & facility),
    )
    found["quarantine_home"] = found["quarantine"] - found["quarantine_facility"]
    found["isolation_home"] = found["isolation"] - found["isolation_facility"]
    return found


def open_alerts(ops: OpsScope) -> dict | None:
    """Quarantine alerts not yet handled (open or acknowledged), by kind; `unacknowledged`: nobody took them yet."""
    if not ops.quarantine:
        return None
    rows = (Alert.objects.filter(ops.indexed_commune_q("commune_id"), status__in=OPEN_ALERT_STATUSES)
            .values_list("kind", "status").annotate(n=Count("pk")).order_by())
    by_kind = {kind: 0 for kind in AlertKind.values}
    unacknowledged = 0
    for kind, status, n in rows:
        by_kind[kind] = by_kind.get(kind, 0) + n
        if status == AlertStatus.OPEN:
            unacknowledged += n
    return {"total": sum(by_kind.values()), "unacknowledged": unacknowledged, "by_kind": by_kind,
            "urgent": sum(by_kind[k] for k in URGENT_ALERT_KINDS)}


# ---- tests ------------------------------------------------------------------------------------------------------

def _tube_counts(ops: OpsScope, start: datetime, end: datetime) -> dict[bool, tuple[int, int]]:
    """pooled → (tubes, positive tubes) released in [start, end)."""
    rows = (Sample.objects.filter(ops.labs.samples_q(), released_at__gte=start, released_at__lt=end,
                                  status=SampleStatus.RELEASED)
            .values_list("pooled").annotate(n=Count("pk"), positive=Count("pk", filter=Q(result=Result.POSITIVE)))
            .order_by())
    return {pooled: (n, positive) for pooled, n, positive in rows}


def _tubes(ops: OpsScope, *, today: date, now: datetime, live: bool) -> dict:
    """Tubes released today and over the 7 days: individual tubes and pools, with the positive ones. The six days
    before today are kept PAST_TTL seconds (a live read)."""
    start, midnight = local_midnight(today - timedelta(days=WEEK - 1)), local_midnight(today)
    if live:
        past = _past_cache.get(("tubes", ops.key, today), lambda: _tube_counts(ops, start, midnight))
    else:
        past = _tube_counts(ops, start, midnight)
    current = _tube_counts(ops, midnight, now + timedelta(microseconds=1))
    out = {}
    for pooled, name in ((False, "individual"), (True, "pooled")):
        n, positive = current.get(pooled, (0, 0))
        before, before_positive = past.get(pooled, (0, 0))
        out[name] = {"today": n, "today_positive": positive, "week": before + n, "week_positive": before_positive + positive}
    return out


def tests(ops: OpsScope, *, now: datetime | None = None) -> dict | None:
    """Results released today and over the 7 days, and positivity, in individual-equivalent results as the
    laboratory module counts them (lachan.labs.dashboard.advice): an individual tube's result counts once, a negative pool
    once per member, a positive pool once as a positive test (labs.stats.positivity_percent; its members count
    again through their own re-tests); inconclusive and rejected tubes never. Beside them the tubes: individual tubes and pools released, and the positive ones."""
    if ops.labs is None:
        return None
    live, now = now is None, _now(now)
    today = timezone.localtime(now).date()
    first = today - timedelta(days=WEEK - 1)
    labs = ops.labs
    counts = lab_stats.result_counts(
        first_day=first, by="day", now=now, laboratory_id=labs.laboratory.pk if labs.kind == "lab" else None,
        commune_ids=list(labs.commune_ids) if labs.kind == "unit" else None)
    today_tests, today_positives = counts.get(today, (0, 0))
    week_tests = sum(t for day, (t, _p) in counts.items() if first <= day <= today)
    week_positives = sum(p for day, (_t, p) in counts.items() if first <= day <= today)
    tubes = _tubes(ops, today=today, now=now, live=live)
    pools = lab_stats.positive_pools(  # by the members' residence, as the results are counted
        first_day=first, by="day", laboratory_id=labs.laboratory.pk if labs.kind == "lab" else None,
        commune_ids=list(labs.commune_ids) if labs.kind == "unit" else None)
    today_pools = pools.get(today, 0)
    week_pools = sum(n for day, n in pools.items() if first <= day <= today)
    return {
        "today": {"results": today_tests + today_pools, "positives": today_positives + today_pools,
                  "positivity": _positivity(today_tests, today_positives, today_pools)},
        "week": {"results": week_tests + week_pools, "positives": week_positives + week_pools,
                 "positivity": _positivity(week_tests, week_positives, week_pools)},
        "tubes": tubes,
    }


# ---- vaccination coverage and risk levels -----------------------------------------------------------------------

def _ancestor_paths(path: str) -> list[str]:
    """"2021/82/815/28435" → the unit's own path and its ancestors' ("2021/82", "2021/82/815", …)."""
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(2, len(parts) + 1)]


def coverage_labels() -> dict[str, str]:
    """Short enough for a card on the big screen (the risk module's labels say the same at length)."""
    return {RiskInputKind.VAX_ADULTS_1DOSE: _("aged 18+, at least one dose"),
            RiskInputKind.VAX_ADULTS_FULL: _("aged 18+, fully vaccinated"),
            RiskInputKind.VAX_ELDERLY_FULL: _("aged 65+, fully vaccinated")}


def vaccination(ops: OpsScope, *, today: date | None = None) -> dict | None:
    """The vaccination coverage entered by the province (RiskInput; the platform holds no dose records yet): for
    each coverage kind the latest value as of today of the user's unit, else of the nearest unit above it (as the
    risk computation reads them). `kinds` empty: no data yet."""
    if not ops.risk or ops.unit is None:
        return None
    today = today or timezone.localdate()
    paths = _ancestor_paths(ops.unit.path)
    depth = {path: n for n, path in enumerate(paths)}
    rows = (RiskInput.objects.filter(unit__path__in=paths, unit__tree=ops.unit.tree, kind__in=COVERAGE_KINDS,
                                     as_of__lte=today)
            .values_list("kind", "value", "as_of", "unit__path", "unit__name").order_by())
    best: dict[str, tuple] = {}
    for kind, value, as_of, path, unit_name in rows:
        rank = (depth.get(path, -1), as_of)  # the nearest unit first, then the latest day
        if kind not in best or rank > best[kind][0]:
            best[kind] = (rank, value, as_of, unit_name)
    labels = coverage_labels()
    kinds = [{"kind": kind, "label": labels[kind], "value": round(best[kind][1], 1), "as_of": best[kind][2],
              "unit": best[kind][3]} for kind in COVERAGE_KINDS if kind in best]
    return {"kinds": kinds, "as_of": max((k["as_of"] for k in kinds), default=None)}


def risk_levels(ops: OpsScope, *, today: date | None = None) -> dict | None:
    """Units at each risk level on the latest day assessed (on or before today): the communes of the user's unit
    (the level at which Resolution 128 assesses), and the unit's own level."""
    if not ops.risk or ops.unit is None:
        return None
    today = today or timezone.localdate()
    within = Q(unit__path__startswith=ops.unit.path + "/") | Q(unit_id=ops.unit.pk)
    day = (RiskAssessment.objects.filter(within, on__lte=today).order_by("-on").values_list("on", flat=True).first())
    out = {"on": day, "levels": {str(n): 0 for n in range(1, 5)}, "not_assessed": 0, "own_level": None}
    if day is None:
        return out
    rows = (RiskAssessment.objects.filter(within, on=day, unit__level=AdminLevel.COMMUNE)
            .values_list("level").annotate(n=Count("pk")).order_by())
    for level, n in rows:
        if level is None:
            out["not_assessed"] += n
        else:
            out["levels"][str(level)] = n
    out["own_level"] = RiskAssessment.objects.filter(unit_id=ops.unit.pk, on=day).values_list(
        "level", flat=True).first()
    return out


# ---- the summary ------------------------------------------------------------------------------------------------

def operations_summary(*, user, now: datetime | None = None) -> dict:
    """Every indicator of the dashboard and the curve for the user's jurisdiction; a block the user may not read
    is None."""
    given, now = now, _now(now)
    ops = ops_scope(user)
    today = timezone.localtime(now).date()
    cases, curve = cases_and_curve(ops, now=given)
    return {
        "generated_at": now, "today": today,
        "jurisdiction": {"kind": ops.scope.kind, "name": ops.unit.name if ops.unit else ops.label, "label": ops.label},
        "cases": cases, "quarantine": quarantine_now(ops), "alerts": open_alerts(ops),
        "tests": tests(ops, now=given), "vaccination": vaccination(ops, today=today),
        "risk": risk_levels(ops, today=today), "curve": curve,
    }
