"""The operations-centre dashboard (issue 6, item 4): the indicators, the epidemic curve and the live feed of one
user's jurisdiction, gathered from cases, tracing, labs, quarantine and risk. Read only; nothing here writes
(except the laboratory's counts kept ahead, which `lachan.labs.stats` makes at its first read of a period).

Who sees what: each block needs the permission of the domain it reads and a jurisdiction that domain knows —
cases, tracing and quarantine figures need an administrative unit (province, district, commune); the tests a unit
or a laboratory (its own tubes, as the laboratory dashboard counts them); risk levels and entered vaccination
coverage RISK_VIEW and a unit. A block the user may not read is None (the page and the API leave it out): a
laboratory user sees no case indicator, an enterprise or venue account none at all.

Scale (1,000,000 people, 100,000 cases, hundreds of thousands of tests): every block is one or two aggregate
queries over a bounded window on an indexed column — cases by `confirmed_at` over 66 days, orders in force by
status, open alerts by status, tests from the laboratory's counts per day (`ResultStat`), tubes by `released_at`
over 7 days, assessments of one day — and the feed reads at most `limit` rows per source from the last
FEED_LOOKBACK. The deployment's province (the common case of the operations centre) is read without a list of
communes, as the domains' own selectors do. The tube counts of a week, which must read every tube released in it,
are kept PAST_TTL seconds per process and scope for the days before today, as the curve's are; today's are
counted at every read.

Timed by a benchmark: `operations_summary(user=…)` (or one block: `cases_and_curve`, `quarantine_now`,
`open_alerts`, `tests`, `vaccination`, `risk_levels`) and `operations_feed(user=…)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.accounts.actors import is_person, is_system, may
from lachan.accounts.jurisdiction import Scope, scope_for
from lachan.accounts.roles import Perm
from lachan.cases.isolation import PLACED_BY_ORDER
from lachan.cases.models import Case, CaseOrigin, Cluster, ClusterKind
from lachan.core.caching import TTLCache
from lachan.core.dates import local_midnight
from lachan.core.db import chunked
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.geo.selectors import unit_labels
from lachan.labs import dashboard as lab_board
from lachan.labs import stats as lab_stats
from lachan.labs.models import Result, ResultCorrection, Sample, SampleStatus, Swab
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
from lachan.tracing.models import CallStatus, Contact, Tier, TracingRun
from lachan.venues.models import Venue
from lachan.venues.policy import venue_size_rules_on

CURVE_DAYS = 60
AVERAGE_DAYS = 7
WEEK = 7
FEED_LOOKBACK = timedelta(days=7)
FEED_DEFAULT, FEED_MAX = 50, 200
TRACING_DEADLINE = timedelta(hours=24)
PAST_TTL = 300  # seconds the days before today are kept (curve, tubes)
# The quarantine alerts of the feed: a test due is the sampling teams' routine, not news.
FEED_ALERT_KINDS = (AlertKind.VIOLATION, AlertKind.SILENT, AlertKind.SYMPTOMS, AlertKind.MISSED_REPORT)
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
        return Q() if self.communes is None else Q(**{f"{field_name}__in": self.communes})

    def indexed_commune_q(self, field_name: str) -> Q:
        """The communes as a list even for the whole province: where an index starts with the commune (alerts,
        the call list), the list lets the database walk it, instead of reading the whole table."""
        return Q(**{f"{field_name}__in": self.commune_ids})

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
    rows = (Case.objects.filter(ops.commune_q("person__commune_id"),
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
    laboratory module counts them (lachan.labs.advice): an individual tube's result counts once, a negative pool
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


# ---- the live feed ----------------------------------------------------------------------------------------------

@dataclass
class FeedItem:
    id: str
    at: datetime
    module: str  # quarantine, labs, cases, tracing
    kind: str
    unit: str  # the unit's label (a commune's id while the feed is gathered)
    text: str
    url: str = ""
    urgent: bool = False
    extra: dict = field(default_factory=dict)


def module_label(module: str) -> str:
    return {"quarantine": _("Quarantine"), "labs": _("Laboratory"), "cases": _("Cases"),
            "tracing": _("Tracing"), "security": _("Security")}.get(module, module)


def _alert_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    # Every status, named: with the communes, the database walks (commune, status, raised_at) for the window.
    rows = (Alert.objects.filter(ops.indexed_commune_q("commune_id"), status__in=AlertStatus.values,
                                 kind__in=FEED_ALERT_KINDS, raised_at__gt=since, raised_at__lte=now)
            .values_list("pk", "kind", "raised_at", "status", "order_id", "order__code", "commune_id", "detail")
            .order_by("-raised_at", "-pk")[:limit])
    kinds = dict(AlertKind.choices)
    # An alert without an order (a case with no order in force who checked in): the case's code, the queue.
    return [FeedItem(id=f"alert-{pk}", at=at, module="quarantine", kind=kind, unit=commune,
                     text=(_("%(what)s · order %(code)s") % {"what": capfirst(kinds[kind]), "code": code}) if order_id
                     else (_("%(what)s · case %(code)s, no order in force")
                           % {"what": capfirst(kinds[kind]), "code": (detail or {}).get("case") or "—"}),
                     url=reverse("quarantine:order_monitoring", args=[order_id]) if order_id
                     else reverse("quarantine:alerts") + f"?status=all&kind={kind}",
                     urgent=kind in URGENT_ALERT_KINDS, extra={"status": status})
            for pk, kind, at, status, order_id, code, commune, detail in rows]


def _positive_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Positive tubes released: an individual tube (a person's positive), or a positive pool (its members are to
    be re-tested one by one). The tube's code, never a name."""
    rows = (Sample.objects.filter(ops.labs.samples_q(), released_at__gt=since, released_at__lte=now,
                                  status=SampleStatus.RELEASED, result=Result.POSITIVE)
            .values_list("pk", "code", "pooled", "released_at", "site__commune_id", "laboratory__place__name")
            .order_by("-released_at", "-pk")[:limit])
    out = []
    for pk, code, pooled, at, commune, lab in rows:
        text = (_("Positive pool released · tube %(code)s: its members are to be re-tested one by one") if pooled
                else _("Positive result released · tube %(code)s")) % {"code": code}
        out.append(FeedItem(id=f"sample-{pk}", at=at, module="labs", kind="positive_pool" if pooled else "positive",
                            unit=commune or lab or "", text=text, url=reverse("labs:sample_detail", args=[pk]),
                            urgent=not pooled))
    return out


def _correction_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """A positive result corrected to another: each case confirmed from the tube is now to be reviewed by the
    epidemiologists (its isolation, its contacts' quarantine); nothing undoes it by itself. Corrections are few:
    those of the window first, then the cases linked to their tubes, in the user's jurisdiction."""
    corrections = list(ResultCorrection.objects.filter(created_at__gt=since, created_at__lte=now,
                                                       previous_result=Result.POSITIVE)
                       .exclude(result=Result.POSITIVE)
                       .values_list("pk", "created_at", "sample_id", "sample__code", "result")
                       .order_by("-created_at", "-pk")[:limit])
    if not corrections:
        return []
    cases: dict = {}
    for sample_id, case_id, code, commune in (
            Swab.objects.filter(ops.commune_q("case__person__commune_id"), case__isnull=False,
                                sample_id__in={c[2] for c in corrections})
            .values_list("sample_id", "case_id", "case__code", "case__person__commune_id")
            .order_by("case__code").distinct()):
        cases.setdefault(sample_id, []).append((case_id, code, commune))
    results = dict(Result.choices)
    return [FeedItem(id=f"correction-{pk}-{case_id}", at=at, module="cases", kind="result_corrected", unit=commune,
                     url=reverse("cases:detail", args=[case_id]), urgent=True,
                     text=_("Tube %(tube)s corrected from positive to %(result)s: case %(case)s was confirmed from it "
                            "and is to be reviewed") % {"tube": tube, "result": results[result], "case": case})
            for pk, at, sample_id, tube, result in corrections for case_id, case, commune in cases.get(sample_id, [])]


def _case_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    rows = (Case.objects.filter(ops.commune_q("person__commune_id"), confirmed_at__gt=since, confirmed_at__lte=now)
            .values_list("pk", "code", "origin", "confirmed_at", "person__commune_id")
            .order_by("-confirmed_at", "-pk")[:limit])
    origins = dict(CaseOrigin.choices)
    return [FeedItem(id=f"case-{pk}", at=at, module="cases", kind="case_confirmed", unit=commune,
                     text=_("Case %(code)s confirmed (%(origin)s)") % {"code": code, "origin": origins[origin]},
                     url=reverse("cases:detail", args=[pk]), urgent=origin == CaseOrigin.COMMUNITY)
            for pk, code, origin, at, commune in rows]


def _cluster_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Clusters recorded (created_at: when it became known, whatever the day it is said to have opened). In the
    user's jurisdiction: located there, or with a case who lives there (as lachan.cases.scope). The clusters of the
    window are few: they are read first, then those located elsewhere are checked for a case living here, a chunk
    at a time. (One EXISTS over every case was costed so high that PostgreSQL compiled it with JIT each time.)"""
    queryset = Cluster.objects.filter(created_at__gt=since, created_at__lte=now)
    if ops.communes is not None:
        communes = set(ops.communes)
        window = list(queryset.values_list("pk", "commune_id"))
        shown = {pk for pk, commune_id in window if commune_id in communes}
        elsewhere = [pk for pk, commune_id in window if commune_id not in communes]
        for chunk in chunked(elsewhere, 500):
            shown.update(Case.objects.filter(cluster_id__in=chunk, person__commune_id__in=ops.communes)
                         .values_list("cluster_id", flat=True).distinct())
        queryset = queryset.filter(pk__in=sorted(shown)[-LIMIT_CLUSTER_IDS:])
    rows = (queryset.values_list("pk", "name", "kind", "created_at", "commune_id")
            .order_by("-created_at", "-pk")[:limit])
    kinds = dict(ClusterKind.choices)
    return [FeedItem(id=f"cluster-{pk}", at=at, module="cases", kind="cluster_opened", unit=commune or "",
                     text=_("Cluster opened: %(name)s (%(kind)s)") % {"name": name, "kind": kinds.get(kind, kind)},
                     url=reverse("cases:cluster_detail", args=[pk]), urgent=True)
            for pk, name, kind, at, commune in rows]


LIMIT_CLUSTER_IDS = 900  # a literal list SQLite takes in one statement; ids are time-ordered: the newest are kept


OVERDUE_CANDIDATES = 500  # the province's newest cases whose contacts are looked at for the feed


def _overdue_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Tracing overdue: what should have happened within TRACING_DEADLINE (24 h) of a case's confirmation and has
    not — tracing runs at confirmation and its F1s are to be called (or ordered into quarantine) the same day:

    - a case confirmed more than 24 h ago whose tracing has not run (no TracingRun): its contacts are not known;
    - a case confirmed more than 24 h ago with F1 contacts still "to call" on the call list (neither called —
      reached or not — nor marked quarantined), counted per commune of the contacts (the station that calls them).

    Each item is dated when it became overdue (confirmation + 24 h), and only those that became overdue after
    `since` are told: an item appears once, not again at every poll while it stays overdue. Both are read from the
    cases confirmed in the window (their index on `confirmed_at`), then their contacts through the index led by
    the case (the province: its newest OVERDUE_CANDIDATES cases of the window) or, in a district or commune, the
    call list's index led by the commune. Untraced cases: among the newest OVERDUE_CANDIDATES of the window."""
    deadline = TRACING_DEADLINE
    start, end = since - deadline, now - deadline
    hours = int(deadline.total_seconds() // 3600)
    out = []
    in_window = Q(confirmed_at__gt=start, confirmed_at__lte=end)
    # The newest cases of the window first (a few hundred), then whether each was traced (its run's index).
    newest_here = (Case.objects.filter(ops.commune_q("person__commune_id"), in_window).order_by("-confirmed_at")
                   .values("pk")[:OVERDUE_CANDIDATES])
    untraced = (Case.objects.filter(pk__in=newest_here)
                .filter(~Exists(TracingRun.objects.filter(case_id=OuterRef("pk"))))
                .values_list("pk", "code", "confirmed_at", "person__commune_id")
                .order_by("-confirmed_at", "-pk")[:limit])
    for pk, code, at, commune in untraced:
        out.append(FeedItem(id=f"untraced-{pk}", at=at + deadline, module="tracing", kind="tracing_not_run",
                            unit=commune, url=reverse("tracing:report", args=[pk]), urgent=True,
                            text=_("Case %(code)s: tracing has not run %(hours)d h after confirmation")
                            % {"code": code, "hours": hours}))
    contacts = Contact.objects.filter(tier=Tier.F1, call_status=CallStatus.TO_CALL,
                                      index_case__confirmed_at__gt=start, index_case__confirmed_at__lte=end)
    if ops.communes is None:
        newest = Case.objects.filter(in_window).order_by("-confirmed_at").values("pk")[:OVERDUE_CANDIDATES]
        contacts = contacts.filter(index_case_id__in=newest)
    else:
        contacts = contacts.filter(commune_id__in=ops.communes)
    groups = (contacts.values_list("index_case_id", "index_case__code", "index_case__confirmed_at", "commune_id")
              .annotate(n=Count("pk")).order_by("-index_case__confirmed_at", "commune_id")[:limit])
    for case_id, code, confirmed_at, commune_id, n in groups:
        out.append(FeedItem(
            id=f"uncalled-{case_id}-{commune_id}", at=confirmed_at + deadline, module="tracing",
            kind="contacts_not_called", unit=commune_id, url=reverse("tracing:report", args=[case_id]), urgent=False,
            text=ngettext("Case %(code)s: %(n)d F1 not called or quarantined %(hours)d h after confirmation",
                          "Case %(code)s: %(n)d F1s not called or quarantined %(hours)d h after confirmation", n)
            % {"code": code, "n": n, "hours": hours}, extra={"contacts": n}))
    return out


def _probe_items(user, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """Accounts or addresses refused personal data again and again (accounts.selectors.denials_repeated): told
    when their latest refusal falls in the window. For the readers of the audit trail only."""
    from lachan.accounts.selectors import DENIAL_WINDOW_HOURS, denials_repeated

    out = []
    for row in denials_repeated(user=user):
        if not since < row["last_at"] <= now:
            continue
        who = row["actor_username"] or row["ip"] or "?"
        out.append(FeedItem(
            id=f"probe-{row['actor_username']}-{row['ip']}", at=row["last_at"], module="security",
            kind="repeated_refusals", unit="", url=reverse("accounts:audit_denials"), urgent=True,
            text=ngettext("%(who)s was refused personal data %(n)d time in %(hours)d h (address %(ip)s)",
                          "%(who)s was refused personal data %(n)d times in %(hours)d h (address %(ip)s)", row["denials"])
            % {"who": who, "n": row["denials"], "hours": DENIAL_WINDOW_HOURS, "ip": row["ip"] or "—"},
            extra={"denials": row["denials"]}))
    return out[:limit]


def feed_since(since: datetime | None, *, now: datetime) -> datetime:
    """The start of the feed's window: `since` (a time without zone is local time), at most FEED_LOOKBACK ago."""
    floor = now - FEED_LOOKBACK
    if since is None:
        return floor
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    # Clamped, then in UTC: a far-off time or an offset PostgreSQL refuses (beyond ±16 h) is never sent to it.
    return max(floor, min(since, now)).astimezone(UTC)


class FeedError(ValueError):
    """A feed request out of bounds (the API answers 422)."""


def operations_feed(*, user, since: datetime | None = None, limit: int = FEED_DEFAULT,
                    now: datetime | None = None) -> list[FeedItem]:
    """The live feed of the user's jurisdiction, newest first: quarantine alerts (left the place, silent, missed
    check-in, alarming symptoms), positive tubes released, cases confirmed, cases to review after a positive was
    corrected, clusters recorded, tracing overdue (see _overdue_items) and venues whose size is to be checked, each from a module the user may read. Items after `since` (at most FEED_LOOKBACK ago;
    default: that far back), at most `limit` (1 to FEED_MAX). Each source reads at most `limit` rows of an
    indexed time range; no names, only codes (it is shown on a big screen). Links lead to the records, whose
    pages check the reader's access and audit the read."""
    if not 1 <= limit <= FEED_MAX:
        raise FeedError(f"limit must be between 1 and {FEED_MAX}")
    now = _now(now)
    since = feed_since(since, now=now)
    ops = ops_scope(user)
    items: list[FeedItem] = []
    if ops.quarantine:
        items += _alert_items(ops, since, now, limit)
    if ops.labs is not None:
        items += _positive_items(ops, since, now, limit)
    if ops.cases:
        items += _case_items(ops, since, now, limit)
        items += _correction_items(ops, since, now, limit)
        items += _cluster_items(ops, since, now, limit)
        items += _overdue_items(ops, since, now, limit)
        items += _venue_size_items(ops, since, now, limit)
    if is_person(user) and may(user, Perm.AUDIT_VIEW):
        items += _probe_items(user, since, now, limit)
    items.sort(key=lambda item: (item.at, item.id), reverse=True)
    items = items[:limit]
    # The sources read communes by id; each is named once, unambiguously ("Phường 1, TP. Mỹ Tho").
    labels = unit_labels(item.unit for item in items if isinstance(item.unit, int))
    for item in items:
        if isinstance(item.unit, int) or item.unit is None:
            item.unit = labels.get(item.unit, "")
    return items


def _venue_size_items(ops: OpsScope, since: datetime, now: datetime, limit: int) -> list[FeedItem]:
    """A venue traced as a small room that held more people at once than a small room holds (venues.crowd_peaks,
    nightly): its commune station is to check its size (lachan.venues.policy.VenueSizeRules.crowded)."""
    rules = venue_size_rules_on(timezone.localdate(now))
    rows = (Venue.objects.filter(ops.commune_q("place__commune_id"), crowd_peak_at__gt=since, crowd_peak_at__lte=now,
                                 crowd_peak__gte=rules.large_min_capacity)
            .select_related("place__commune__parent").order_by("-crowd_peak_at", "-pk")[:limit])
    return [FeedItem(id=f"venue-size-{v.pk}-{v.crowd_peak}", at=v.crowd_peak_at, module="tracing", kind="venue_size",
                     unit=v.place.commune.label, url=reverse("venues:detail", args=[v.pk]),
                     text=_("%(venue)s, traced as a small room, held %(n)s people at once: its size is to be checked")
                     % {"venue": v.place.name, "n": v.crowd_peak})
            for v in rows if rules.crowded(v)]


def feed_item_dict(item: FeedItem) -> dict:
    return {"id": item.id, "at": item.at, "module": item.module, "module_label": module_label(item.module),
            "kind": item.kind, "unit": item.unit, "text": item.text, "url": item.url or None, "urgent": item.urgent,
            **({"extra": item.extra} if item.extra else {})}
