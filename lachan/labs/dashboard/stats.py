"""Released results counted ahead (ResultStat), so that the dashboard and the pool size advice read a few
thousand counts instead of the swabs of weeks of screening (at a million people, a province-wide count
over the swabs took seconds on both databases).

What is counted: individual-equivalent results (see lachan.labs.dashboard.advice) — a swab whose own outcome
is negative or positive, in a released tube — per local day of release, laboratory and commune of residence.

When: a day is counted whole once it is over (GRACE after its midnight, so that a release committing a little
late still lands in it); until then its hours are counted one by one, each GRACE after it ends; the newest
results (the last hour or so) are read from the swabs at every read. Everything is counted at a read
(`result_counts`), the first to need it; a day closes in one GROUP BY over that day's swabs.

Results are released "now" (released_at is the moment of release), so a counted period changes only when a
result in it is corrected: the release days of samples corrected after their count are counted again at the
next read. Tubes deleted, or written straight to the tables with past release times (benchmarks, demo data),
need `result_stats_reset()`. A person who moves keeps the commune counted on the day.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import CharField, Count, IntegerField, Q, Sum
from django.db.models.expressions import Func
from django.utils import timezone

from lachan.core.dates import local_midnight
from lachan.core.db import bulk_insert, chunked

from ..models import (
    Result,
    ResultCorrection,
    ResultStat,
    ResultStatPeriod,
    Sample,
    SampleStatus,
    Swab,
    SwabOutcome,
)

GRACE = timedelta(minutes=15)
ALL_DAY = ResultStat.ALL_DAY
LOCK_KEY = 0x4C43_4C41_4253  # PostgreSQL advisory lock of the counting ("LCLABS")


# ---- SQL expressions: local day and hour, computed by the database -----------------------------------

def _sqlite_offset() -> str:
    """SQLite stores UTC text and has no time zones: the zone's offset now (exact for zones without daylight
    saving, such as Asia/Ho_Chi_Minh)."""
    return f"{int(timezone.localtime().utcoffset().total_seconds()):+d} seconds"


class LocalDay(Func):
    """The local calendar day of a timestamp, as 'YYYY-MM-DD'."""

    arity = 1
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", [*params, _sqlite_offset()]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD')", [*params, timezone.get_current_timezone_name()]


class LocalHour(Func):
    """The local hour (0–23) of a timestamp."""

    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime('%%H', {sql}, %s) AS INTEGER)", [*params, _sqlite_offset()]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(HOUR FROM ({sql}) AT TIME ZONE %s)::integer", [*params, timezone.get_current_timezone_name()]


# ---- the swabs that count ------------------------------------------------------------------------------

COUNTS = {"tests": Count("pk"), "positives": Count("pk", filter=Q(outcome=SwabOutcome.POSITIVE))}


def released_results(since: datetime, until: datetime | None = None):
    """Swabs whose own result counts (individual-equivalent), released in [since, until)."""
    queryset = Swab.objects.filter(sample__status=SampleStatus.RELEASED, sample__released_at__gte=since,
                                   outcome__in=(SwabOutcome.NEGATIVE, SwabOutcome.POSITIVE))
    return queryset.filter(sample__released_at__lt=until) if until else queryset


def _count(start: datetime, end: datetime, *, hourly: bool) -> list[dict]:
    fields = ["day", "hour", "sample__laboratory_id", "person__commune_id"] if hourly else [
        "day", "sample__laboratory_id", "person__commune_id"]
    queryset = released_results(start, end).annotate(day=LocalDay("sample__released_at"))
    if hourly:
        queryset = queryset.annotate(hour=LocalHour("sample__released_at"))
    return [{"day": date.fromisoformat(str(row["day"])), "hour": row["hour"] if hourly else ALL_DAY,
             "laboratory_id": row["sample__laboratory_id"], "commune_id": row["person__commune_id"],
             "tests": row["tests"], "positives": row["positives"]}
            for row in queryset.values(*fields).annotate(**COUNTS).order_by()]


@contextmanager
def _counting():
    """One counter at a time (SQLite's write transactions are one at a time anyway)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        yield


def _forget(days: list[date], hours: list[int] | None = None) -> None:
    periods = ResultStatPeriod.objects.filter(day__in=days)
    rows = ResultStat.objects.filter(day__in=days)
    if hours is not None:
        periods, rows = periods.filter(hour__in=hours), rows.filter(hour__in=hours)
    periods.delete()
    rows.delete()


def _store(rows: list[dict], periods: list[tuple[date, int]], now: datetime) -> None:
    bulk_insert(ResultStat, [r for r in rows if r["commune_id"] is not None])
    bulk_insert(ResultStatPeriod, [{"day": d, "hour": h, "counted_at": now} for d, h in periods])


def _runs(days: list[date]) -> list[list[date]]:
    """Consecutive days together: [1, 2, 3, 5] → [[1, 2, 3], [5]]."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _corrected_days(periods: dict[tuple[date, int], datetime]) -> set[date]:
    """The counted days holding a sample corrected after they were counted."""
    if not periods:
        return set()
    # From the corrections (a few), not from the samples released since first_day (a great many).
    corrected = ResultCorrection.objects.filter(created_at__gt=min(periods.values())).values_list(
        "created_at", "sample__released_at")
    counted: dict[date, datetime] = {}
    for (day, _hour), at in periods.items():
        counted[day] = min(at, counted.get(day, at))
    stale = set()
    for created, released in corrected:
        day = timezone.localtime(released).date()
        if day in counted and created > counted[day]:
            stale.add(day)
    return stale


class _Busy(Exception):
    """There is counting to do (raised when only looking)."""


def _refresh(first_day: date, now: datetime, *, count: bool) -> datetime:
    """Count what is missing (`count`), or raise _Busy at the first thing missing; return the start of the
    live tail."""
    today = timezone.localtime(now).date()
    periods = {(d, h): at for d, h, at in
               ResultStatPeriod.objects.filter(day__gte=first_day).values_list("day", "hour", "counted_at")}
    stale = _corrected_days(periods)
    if stale:
        if not count:
            raise _Busy
        _forget(sorted(stale))
        periods = {k: v for k, v in periods.items() if k[0] not in stale}
    days = [first_day + timedelta(days=n) for n in range((today - first_day).days + 1)]
    over = [d for d in days if local_midnight(d + timedelta(days=1)) + GRACE <= now]
    for run in _runs([d for d in over if (d, ALL_DAY) not in periods]):
        if not count:
            raise _Busy
        _forget(run)  # the hours counted while the day was not over
        _store(_count(local_midnight(run[0]), local_midnight(run[-1] + timedelta(days=1)), hourly=False),
               [(d, ALL_DAY) for d in run], now)
    live_from = None
    for day in [d for d in days if d not in over]:  # yesterday for GRACE after midnight, and today
        start = local_midnight(day)
        closed = [h for h in range(24) if start + timedelta(hours=h + 1) + GRACE <= now]
        missing = [h for h in closed if (day, h) not in periods]
        if missing:
            if not count:
                raise _Busy
            first, last = min(missing), max(missing)
            span = list(range(first, last + 1))
            _forget([day], span)
            _store(_count(start + timedelta(hours=first), start + timedelta(hours=last + 1), hourly=True),
                   [(day, h) for h in span], now)
        if live_from is None:
            live_from = start + timedelta(hours=len(closed))
    return live_from if live_from is not None else local_midnight(today + timedelta(days=1))


def stats_refresh(*, first_day: date, now: datetime | None = None) -> datetime:
    """Count what is not counted yet from `first_day` on; return the moment from which results are read from
    the swabs. Looks first without writing: on SQLite a write transaction waits for a result file being
    imported, which a read need not."""
    now = now or timezone.now()
    try:
        return _refresh(first_day, now, count=False)
    except _Busy:
        with _counting():
            return _refresh(first_day, now, count=True)


COUNTED_DAYS = 28  # the dashboard's longest series


def result_stats_count() -> str:
    """The periodic job (after midnight): count the day just over, so that the morning's first reader need not."""
    first = timezone.localdate() - timedelta(days=COUNTED_DAYS - 1)
    stats_refresh(first_day=first)
    return f"counted from {first.isoformat()}"


def result_stats_reset() -> None:
    """Forget every count (after tubes were deleted or written with past release times)."""
    with _counting():
        ResultStatPeriod.objects.all().delete()
        ResultStat.objects.all().delete()


def _live(since: datetime) -> list[tuple]:
    """(local day, laboratory, commune, tests, positives) of the results released since `since` (the last hour
    or so). The tubes first, by their release time, then their swabs by tube: a query joining both, grouped
    by laboratory or filtered on a commune, leads the database to start from every tube of a laboratory or every
    resident of a district instead."""
    # By release time alone (with the status too, SQLite reads every released tube off the status index).
    tubes = {pk: (timezone.localtime(at).date(), lab) for pk, at, lab, status in Sample.objects.filter(
        released_at__gte=since).values_list("pk", "released_at", "laboratory_id", "status")
        if status == SampleStatus.RELEASED}
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for batch in chunked(list(tubes), 5000):
        for sample_id, commune, tests, positives in (
                Swab.objects.filter(sample_id__in=batch, outcome__in=(SwabOutcome.NEGATIVE, SwabOutcome.POSITIVE))
                .values_list("sample_id", "person__commune_id").annotate(**COUNTS).order_by()):
            counts = groups[(*tubes[sample_id], commune)]
            counts[0] += tests
            counts[1] += positives
    return [(day, lab, commune, tests, positives) for (day, lab, commune), (tests, positives) in groups.items()]


def result_counts(*, first_day: date, by: str, laboratory_id=None, commune_ids=None,
                  now: datetime | None = None) -> dict:
    """Individual-equivalent results released from local midnight of `first_day`: key → (tests, positives),
    the key a commune id (by="commune") or a local day (by="day"); of one laboratory, of some communes."""
    live_from = stats_refresh(first_day=first_day, now=now)
    stored = ResultStat.objects.filter(day__gte=first_day)
    if laboratory_id is not None:
        stored = stored.filter(laboratory_id=laboratory_id)
    if commune_ids is not None:
        stored = stored.filter(commune_id__in=commune_ids)
    field = "commune_id" if by == "commune" else "day"
    rows = list(stored.values_list(field).annotate(t=Sum("tests"), p=Sum("positives")).order_by())
    wanted = set(commune_ids) if commune_ids is not None else None
    for day, lab, commune, tests, positives in _live(live_from):
        if (laboratory_id is None or lab == laboratory_id) and (wanted is None or commune in wanted):
            rows.append((commune if by == "commune" else day, tests, positives))
    out: dict = defaultdict(lambda: [0, 0])
    for key, tests, positives in rows:
        if key is not None:
            out[key][0] += tests
            out[key][1] += positives
    return {key: (tests, positives) for key, (tests, positives) in out.items()}


# ---- positivity as shown ---------------------------------------------------------------------------------

def positivity_percent(*, results: int, positives: int, positive_pools: int = 0) -> float | None:
    """The one positivity every page shows, in %: individual-equivalent results (as counted above) plus each
    positive pool as one positive test — a positive pool says someone is positive, so it is never 0 % beside it
    while its members wait for their own tests. None without any test."""
    tests = results + positive_pools
    return 100 * (positives + positive_pools) / tests if tests else None


def positive_pools(*, first_day: date, by: str, laboratory_id=None, commune_ids=None, sample_q=None) -> dict:
    """Positive pools released from local midnight of `first_day`: key → count, the key a local day of release
    (by="day") or the commune of residence of a member (by="commune": a pool counts once in each of its members'
    communes); of one laboratory, of the pools with a member in some communes, of the tubes `sample_q` selects."""
    pools = Sample.objects.filter(pooled=True, result=Result.POSITIVE, status=SampleStatus.RELEASED,
                                  released_at__gte=local_midnight(first_day)).order_by()
    if laboratory_id is not None:
        pools = pools.filter(laboratory_id=laboratory_id)
    if sample_q is not None:
        pools = pools.filter(sample_q)
    out: dict = defaultdict(int)
    if by == "commune" or commune_ids is not None:
        members = Swab.objects.filter(sample__in=pools).order_by()
        if commune_ids is not None:
            members = members.filter(person__commune_id__in=commune_ids)
        # Grouped by the database: a province's four weeks are ~5,000 pools of ~36,000 members, which came
        # back to Python one member at a time (half the laboratory dashboard's time at a million people).
        if by == "commune":
            return dict(members.values_list("person__commune_id").annotate(n=Count("sample_id", distinct=True)))
        for _sample, at in members.values_list("sample_id", "sample__released_at").distinct():
            out[timezone.localtime(at).date()] += 1
        return dict(out)
    for at in pools.values_list("released_at", flat=True):
        out[timezone.localtime(at).date()] += 1
    return dict(out)
