"""The laboratory dashboard (issue 4, item 6): tubes waiting (collected and not received, received and not
tested) per laboratory and age, turnaround from collection to release (median and 90th percentile over the
last 7 days, per laboratory), positivity per commune (the top ones) and per day (an inline SVG chart).

Whose figures: laboratory staff see their laboratory's tubes (and, for positivity, the people in them);
province, district and commune users see the tubes collected at sites in their unit (waiting, turnaround)
and the results of the people who live there (positivity); the deployment's province's users see everything.
Positivity counts individual-equivalent results as the pool size advice does (lachan.labs.dashboard.advice).

Every figure is aggregated by the database (GROUP BY) and only the groups come back to Python: tube counts
per laboratory, status and age bucket; turnaround as a histogram per laboratory in 6-minute bins (the
percentiles are read off it, to the nearest 6 minutes; kept TURNAROUND_CACHE seconds); results per commune
and per local day from the counts kept ahead (lachan.labs.dashboard.stats). Local days and durations are
computed in SQL on both databases (SQLite's date() and julianday(), PostgreSQL's AT TIME ZONE and EXTRACT),
never with Django's per-row Python functions on SQLite.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.expressions import Func
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.actors import is_system
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.core.numbers import number_text
from lachan.geo.models import AdminUnit, PlaceKind

from ..access import require_perm
from ..models import Laboratory, Sample, SampleStatus
from ..policy import lab_rules
from . import advice, stats

AGE_BUCKETS = ((12, gettext_lazy("under 12 h")), (24, gettext_lazy("12–24 h")), (48, gettext_lazy("24–48 h")),
               (None, gettext_lazy("over 48 h")))
WAITING = (SampleStatus.COLLECTED, SampleStatus.RECEIVED)
TURNAROUND_DAYS = 7
BINS_PER_HOUR = 10
WINDOWS = (7, 14, 28)
SERIES_DAYS = stats.COUNTED_DAYS
TOP_COMMUNES = 15
TURNAROUND_CACHE = 300


# ---- SQL expressions -------------------------------------------------------------------------------------

class HoursBin(Func):
    """(end − start) in bins of 1/BINS_PER_HOUR hour, rounded to the nearest."""

    arity = 2
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return (f"CAST(ROUND((julianday({end}) - julianday({start})) * {24 * BINS_PER_HOUR}) AS INTEGER)",
                [*end_params, *start_params])

    def as_postgresql(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return (f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})) / {3600 // BINS_PER_HOUR})::integer",
                [*end_params, *start_params])


# ---- whose figures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DashScope:
    kind: str  # "all", "lab", "unit" or "none"
    laboratory: Laboratory | None = None
    commune_ids: tuple[int, ...] = ()
    label: str = ""

    def samples_q(self) -> Q:
        if self.kind == "all":
            return Q()
        if self.kind == "lab":
            return Q(laboratory_id=self.laboratory.pk)
        if self.kind == "unit":
            return Q(site__commune_id__in=self.commune_ids)
        return Q(pk__in=[])


def dashboard_scope(user) -> DashScope:
    require_perm(user, Perm.LABS_VIEW)
    if is_system(user):
        return DashScope("all")
    scope = scope_for(user)
    if scope.kind == "place" and scope.place_kind == PlaceKind.LABORATORY:
        lab = Laboratory.objects.select_related("place").filter(place_id=scope.place_id).first()
        return DashScope("lab", laboratory=lab, label=lab.place.name) if lab else DashScope("none")
    if scope.kind == "unit":
        unit = AdminUnit.objects.select_related("parent").get(pk=scope.unit_id)
        if scope.unit_path == f"{settings.LACHAN_ADMIN_TREE}/{settings.LACHAN_PROVINCE_CODE}":
            return DashScope("all", label=unit.label)
        return DashScope("unit", commune_ids=tuple(scope.commune_ids()), label=unit.label)
    return DashScope("none")


# ---- tubes waiting ---------------------------------------------------------------------------------------

@dataclass
class WaitingRow:
    laboratory: str
    status: str
    buckets: list[int]

    @property
    def total(self) -> int:
        return sum(self.buckets)


def _lab_names(ids) -> dict:
    names = dict(Laboratory.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "place__name"))
    names[None] = _("no laboratory yet")
    return names


def waiting(scope: DashScope, *, now: datetime | None = None) -> list[WaitingRow]:
    """Tubes waiting per laboratory and status, by hours since collection."""
    now = now or timezone.now()
    whens = [When(collected_at__gt=now - timedelta(hours=h), then=Value(n)) for n, (h, _l) in enumerate(AGE_BUCKETS)
             if h is not None]
    rows = (Sample.objects.filter(scope.samples_q(), status__in=WAITING)
            .annotate(bucket=Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField()))
            .values("laboratory_id", "status", "bucket").annotate(n=Count("pk")).order_by())
    grouped: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    for row in rows:
        grouped[(row["laboratory_id"], row["status"])][row["bucket"]] += row["n"]
    names = _lab_names({lab for lab, _s in grouped})
    order = {s: n for n, s in enumerate(WAITING)}
    return sorted((WaitingRow(names.get(lab, "?"), status, counts) for (lab, status), counts in grouped.items()),
                  key=lambda r: (r.laboratory, order[r.status]))


# ---- turnaround ------------------------------------------------------------------------------------------

@dataclass
class Turnaround:
    laboratory: str
    samples: int
    median_hours: float
    p90_hours: float


def percentile_of_histogram(bins: dict[int, int], q: float) -> float:
    """The q-quantile (nearest rank) of values given as bin → count, in hours."""
    total = sum(bins.values())
    rank = max(1, -(-int(q * total * 1000) // 1000))  # ceil(q · n), at least the first
    seen = 0
    for value in sorted(bins):
        seen += bins[value]
        if seen >= rank:
            return value / BINS_PER_HOUR
    return 0.0


def turnaround(scope: DashScope, *, now: datetime | None = None, days: int = TURNAROUND_DAYS) -> list[Turnaround]:
    """Collection to release of the tubes released in the last `days` days, per laboratory; kept a few
    minutes (a week of tubes to read: a few hundred milliseconds on SQLite at a province's scale)."""
    key = (f"lc:labs:turnaround:{days}:{scope.kind}:{scope.laboratory.pk if scope.laboratory else ''}:"
           f"{hashlib.sha256(repr(scope.commune_ids).encode()).hexdigest()[:16]}")
    if now is None:
        found = cache.get(key)
        if found is None:
            found = _turnaround(scope, now=timezone.now(), days=days)
            cache.set(key, found, TURNAROUND_CACHE)
        return found
    return _turnaround(scope, now=now, days=days)


def _turnaround(scope: DashScope, *, now: datetime, days: int) -> list[Turnaround]:
    # released_at is set on release only; filtering on the status too, SQLite reads every released tube off the
    # status index instead of the last week's off the release time's
    rows = (Sample.objects.filter(scope.samples_q(), released_at__gte=now - timedelta(days=days), released_at__lte=now)
            .annotate(bin=HoursBin("released_at", "collected_at"))
            .values("laboratory_id", "bin").annotate(n=Count("pk")).order_by())
    hist: dict = defaultdict(lambda: defaultdict(int))
    for row in rows:
        hist[row["laboratory_id"]][max(0, row["bin"] or 0)] += row["n"]  # a clock ahead at the site: 0
    names = _lab_names(hist)
    out = [Turnaround(names.get(lab, "?"), sum(bins.values()), percentile_of_histogram(bins, 0.5),
                      percentile_of_histogram(bins, 0.9)) for lab, bins in hist.items()]
    return sorted(out, key=lambda t: t.laboratory)


# ---- positivity ------------------------------------------------------------------------------------------

@dataclass
class CommunePositivity:
    commune: AdminUnit
    tests: int
    positives: int

    positive_pools: int = 0  # counted in tests and positives too, each as one positive test

    @property
    def percent(self) -> float:
        return stats.positivity_percent(results=self.tests - self.positive_pools,
                                        positives=self.positives - self.positive_pools,
                                        positive_pools=self.positive_pools) or 0.0


def commune_counts(scope: DashScope, *, days: int) -> dict[int, tuple[int, int]]:
    if scope.kind == "none":
        return {}
    return advice.positivity_by_commune(
        first_day=advice.first_day(days), laboratory_id=scope.laboratory.pk if scope.kind == "lab" else None,
        commune_ids=list(scope.commune_ids) if scope.kind == "unit" else None)


def positivity_by_commune(scope: DashScope, *, days: int, top: int = TOP_COMMUNES) -> list[CommunePositivity]:
    """The communes with the most positives (then the highest rate), with their results in the window."""
    counts = commune_counts(scope, days=days)
    pools = _positive_pools(scope, days=days, by="commune")
    counts = {c: (t + pools.get(c, 0), p + pools.get(c, 0)) for c, (t, p) in counts.items()} | {
        c: (n, n) for c, n in pools.items() if c not in counts}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], -(kv[1][1] / kv[1][0] if kv[1][0] else 0), kv[0]))
    ranked = ranked[:top]
    units = AdminUnit.objects.select_related("parent").in_bulk([c for c, _v in ranked])
    return [CommunePositivity(units[c], t, p, pools.get(c, 0)) for c, (t, p) in ranked if c in units]


def _positive_pools(scope: DashScope, *, days: int, by: str, today: date | None = None) -> dict:
    if scope.kind == "none":
        return {}
    return stats.positive_pools(first_day=advice.first_day(days, today), by=by,
                                laboratory_id=scope.laboratory.pk if scope.kind == "lab" else None,
                                commune_ids=list(scope.commune_ids) if scope.kind == "unit" else None)


@dataclass
class DayPositivity:
    day: date
    tests: int
    positives: int

    positive_pools: int = 0  # counted in tests and positives too, each as one positive test

    @property
    def percent(self) -> float:
        return stats.positivity_percent(results=self.tests - self.positive_pools,
                                        positives=self.positives - self.positive_pools,
                                        positive_pools=self.positive_pools) or 0.0


def positivity_by_day(scope: DashScope, *, days: int = SERIES_DAYS, today: date | None = None,
                      now: datetime | None = None) -> list[DayPositivity]:
    """Results released per local day over the last `days` days (every day, zeros included)."""
    first = advice.first_day(days, today)
    found = {} if scope.kind == "none" else stats.result_counts(
        first_day=first, by="day", now=now, laboratory_id=scope.laboratory.pk if scope.kind == "lab" else None,
        commune_ids=list(scope.commune_ids) if scope.kind == "unit" else None)
    pools = _positive_pools(scope, days=days, by="day", today=today)
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        tests, positives = found.get(day, (0, 0))
        pooled = pools.get(day, 0)
        out.append(DayPositivity(day, tests + pooled, positives + pooled, pooled))
    return out


# ---- the chart -------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 440, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 38, 12, 26


def _nice_ceiling(value: float) -> float:
    """The axis's top: 1, 2, 2.5 or 5 times a power of ten, at least the value."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def positivity_svg(series: list[DayPositivity]) -> str:
    """Bars: positives per day (left axis); line: positivity in % (right axis). Server-drawn, no script."""
    if not series:
        return ""
    top_pos = _nice_ceiling(max(d.positives for d in series))
    top_pct = _nice_ceiling(max(d.percent for d in series))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(series)
    gap = 1 if step > 3 else 0
    base = TOP + plot_h
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" class="axis"/>']
    for frac in (0, 0.5, 1):
        y = base - plot_h * frac
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{number_text(top_pos * frac)}</text>'
                     f'<text x="{WIDTH - RIGHT + 4}" y="{y + 4:.1f}" class="pct">{number_text(top_pct * frac)}%</text>')
    every = max(1, -(-len(series) // 6))
    points = []
    for i, d in enumerate(series):
        x = LEFT + i * step
        label = escape(_("%(date)s: %(positives)d positive of %(tests)d (%(rate).2f %%)")
                       % {"date": d.day.strftime("%d/%m/%Y"), "positives": d.positives, "tests": d.tests,
                          "rate": d.percent})
        if d.positives:
            h = plot_h * d.positives / top_pos
            parts.append(f'<rect x="{x + gap / 2:.1f}" y="{base - h:.1f}" width="{max(step - gap, 1):.1f}" '
                         f'height="{h:.1f}" class="bar"><title>{label}</title></rect>')
        if d.tests:
            points.append(f"{x + step / 2:.1f},{base - plot_h * d.percent / top_pct:.1f}")
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                         f'{d.day.strftime("%d/%m")}</text>')
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" class="line"/>')
    elif points:
        x, y = points[0].split(",")
        parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" class="dot"/>')
    style = ("<style>text{font:12px sans-serif;fill:#5b6b63}.pct{fill:#1f6fb2}.bar{fill:#c0392b}"
             ".axis{stroke:#5b6b63}.grid{stroke:#d7e0dc;stroke-dasharray:3 3}"
             ".line{fill:none;stroke:#1f6fb2;stroke-width:2}.dot{fill:#1f6fb2}</style>")
    return mark_safe(  # noqa: S308 (every text above is a number, a date or escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(_("Positive results per day and positivity rate"))}">{style}{"".join(parts)}</svg>')


@dataclass
class Dashboard:
    scope: DashScope
    days: int
    waiting: list[WaitingRow] = field(default_factory=list)
    turnaround: list[Turnaround] = field(default_factory=list)
    communes: list[CommunePositivity] = field(default_factory=list)
    series: list[DayPositivity] = field(default_factory=list)
    chart: str = ""

    @property
    def waiting_totals(self) -> dict[str, int]:
        return {s: sum(r.total for r in self.waiting if r.status == s) for s in WAITING}

    @property
    def window(self) -> tuple[int, int]:
        recent = self.series[-self.days:]
        return sum(d.tests for d in recent), sum(d.positives for d in recent)

    @property
    def window_percent(self) -> float | None:
        tests, positives = self.window
        pools = sum(d.positive_pools for d in self.series[-self.days:])
        return stats.positivity_percent(results=tests - pools, positives=positives - pools, positive_pools=pools)


def dashboard(*, user, days: int | None = None) -> Dashboard:
    scope = dashboard_scope(user)
    days = days if days in WINDOWS else lab_rules()["positivity_days"]
    now = timezone.now()
    series = positivity_by_day(scope, days=max(SERIES_DAYS, days), today=timezone.localtime(now).date(), now=now)
    return Dashboard(scope=scope, days=days, waiting=waiting(scope, now=now), turnaround=turnaround(scope),
                     communes=positivity_by_commune(scope, days=days), series=series, chart=positivity_svg(series))
