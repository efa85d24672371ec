"""Results counted ahead for the dashboard and the advice (lachan.labs.dashboard.stats): the same figures as
counting the swabs, whatever is counted already (whole days, hours of today, the live tail); days counted
again after a correction; reset."""

import random
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.core.dates import local_midnight
from lachan.geo.models import Place, PlaceKind
from lachan.labs import results
from lachan.labs.dashboard import stats
from lachan.labs.models import Laboratory, Result, ResultStat, ResultStatPeriod, Sample, Swab
from lachan.labs.tests.lookup_fixtures import fresh_cache, tube  # noqa: F401
from lachan.people.models import Person

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute)))


@pytest.fixture
def world(units, make_user):
    rng = random.Random(4)
    labs = [Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name=name,
                                                                 commune=units.commune)) for name in ("A", "B")]
    communes = [units.commune, units.commune2, units.other_commune]
    people = [Person.objects.create(full_name=f"P{i}", commune=communes[i % 3]) for i in range(90)]
    # released tubes over the last 4 days and today until 10:10, pools and individual samples, two laboratories
    moments = [at(d, h, m) for d in range(4, 0, -1) for h in (0, 7, 13, 23) for m in (5,)] + [
        at(0, 0, 1), at(0, 3, 30), at(0, 9, 50), at(0, 10, 10)]
    for n, moment in enumerate(moments):
        size = rng.choice((1, 1, 3, 5))
        members = rng.sample(people, size)
        result = rng.choice((Result.NEGATIVE, Result.NEGATIVE, Result.POSITIVE, Result.INCONCLUSIVE))
        tube(members, lab=labs[n % 2], status="released", collected_at=moment - timedelta(hours=9),
             released_at=moment, result=result)
    tube(people[:2], lab=labs[0], status="received", collected_at=at(0, 1))  # not released
    return {"labs": labs, "communes": communes, "people": people,
            "user": make_user(Role.LAB_STAFF, place=labs[0].place, username="stats-lab")}


def truth(first_day, *, by, laboratory_id=None):
    """The figures counted straight from the swabs."""
    out = defaultdict(lambda: [0, 0])
    queryset = stats.released_results(local_midnight(first_day)).select_related("sample", "person")
    if laboratory_id:
        queryset = queryset.filter(sample__laboratory_id=laboratory_id)
    for swab in queryset:
        key = swab.person.commune_id if by == "commune" else timezone.localtime(swab.sample.released_at).date()
        out[key][0] += 1
        out[key][1] += swab.outcome == "positive"
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("now", [at(0, 10, 20), at(0, 0, 10), at(0, 0, 20), at(0, 23, 59)])
def test_counts_equal_the_swabs_whatever_is_counted_already(world, now):
    first = TODAY - timedelta(days=4)
    for by in ("commune", "day"):
        assert stats.result_counts(first_day=first, by=by, now=now) == truth(first, by=by)
        lab = world["labs"][1].pk
        assert stats.result_counts(first_day=first, by=by, now=now, laboratory_id=lab) == truth(
            first, by=by, laboratory_id=lab)
    ids = [world["communes"][0].pk]
    assert stats.result_counts(first_day=first, by="commune", commune_ids=ids, now=now) == {
        ids[0]: truth(first, by="commune")[ids[0]]}
    # a shorter window reads the same counts
    assert stats.result_counts(first_day=TODAY - timedelta(days=1), by="day", now=now) == {
        k: v for k, v in truth(first, by="day").items() if k >= TODAY - timedelta(days=1)}


def test_what_is_counted_when(world):
    first = TODAY - timedelta(days=4)
    live_from = stats.stats_refresh(first_day=first, now=at(0, 10, 20))
    assert live_from == at(0, 10)  # 9:00–10:00 ended more than 15 minutes ago; 10:00 on is read live
    periods = set(ResultStatPeriod.objects.values_list("day", "hour"))
    whole = {(TODAY - timedelta(days=d), ResultStat.ALL_DAY) for d in range(1, 5)}
    assert periods == whole | {(TODAY, h) for h in range(10)}
    # just after midnight, yesterday is not over yet: its hours, the last one live
    assert stats.stats_refresh(first_day=first, now=at(-1, 0, 10)) == at(0, 23)
    assert (TODAY, ResultStat.ALL_DAY) not in set(ResultStatPeriod.objects.values_list("day", "hour"))
    # a quarter of an hour later it is counted whole, its hours forgotten
    assert stats.stats_refresh(first_day=first, now=at(-1, 0, 20)) == at(-1, 0)
    assert set(ResultStatPeriod.objects.filter(day=TODAY).values_list("hour", flat=True)) == {ResultStat.ALL_DAY}
    assert not ResultStat.objects.filter(day=TODAY).exclude(hour=ResultStat.ALL_DAY).exists()


def test_counted_days_are_read_without_the_swabs(world, django_assert_max_num_queries):
    first = TODAY - timedelta(days=4)
    stats.result_counts(first_day=first, by="commune", now=at(0, 10, 20))
    with django_assert_max_num_queries(5):  # periods, corrections, the counts, the last hour's tubes and swabs
        stats.result_counts(first_day=first, by="commune", now=at(0, 10, 20))


def test_a_correction_is_counted_again(world):
    first = TODAY - timedelta(days=4)
    now = timezone.now()
    before = stats.result_counts(first_day=first, by="day", now=now)
    sample = Sample.objects.filter(released_at__lt=at(1, 0), pooled=False, result=Result.NEGATIVE,
                                   laboratory=world["labs"][0]).order_by("released_at").first()
    results.result_correct(sample=sample, result=Result.POSITIVE, reason="Nhầm ống", by=world["user"])
    after = stats.result_counts(first_day=first, by="day", now=timezone.now())
    assert after == truth(first, by="day") and after != before


def test_reset_after_tubes_are_deleted(world):
    first = TODAY - timedelta(days=4)
    stats.result_counts(first_day=first, by="commune", now=at(0, 10, 20))
    Sample.objects.filter(released_at__lt=at(1, 0)).delete()
    assert stats.result_counts(first_day=first, by="commune", now=at(0, 10, 20)) != truth(first, by="commune")
    stats.result_stats_reset()
    assert stats.result_counts(first_day=first, by="commune", now=at(0, 10, 20)) == truth(first, by="commune")


def test_the_periodic_job_counts_the_days_over(world):
    from lachan.core.scheduler import registered_jobs

    job = next(j for j in registered_jobs() if j.name == "labs.count_results")
    assert job.every == "daily" and job.at.hour == 0 and job.at.minute > 15  # after the grace of midnight
    today = timezone.localdate()  # not TODAY: the suite may have started before midnight
    assert job.func() == f"counted from {(today - timedelta(days=27)).isoformat()}"
    # The day before yesterday is over whenever this runs (yesterday only GRACE after midnight).
    assert (today - timedelta(days=2), ResultStat.ALL_DAY) in set(ResultStatPeriod.objects.values_list("day", "hour"))


@pytest.mark.parametrize("commune_ids", [None, "some"])
def test_positive_pools_read_through_their_own_index(world, commune_ids):
    """The week's positive pools are ~1,000 of 300,000 tubes: read through the partial index
    labs_sample_positive_pool, not the released tubes in order of collection (0.5 s on SQLite at that size)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ids = [c.pk for c in world["communes"][:1]] if commune_ids else None
    with CaptureQueriesContext(connection) as queries:
        stats.positive_pools(first_day=TODAY - timedelta(days=6), by="day", commune_ids=ids)
    (sql,) = [q["sql"] for q in queries.captured_queries if "labs_sample" in q["sql"]]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a test's few rows are read whole otherwise, whatever the index
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "labs_sample_positive_pool" in plan, plan


@pytest.mark.parametrize("by", ["day", "commune"])
def test_positive_pools_equal_their_members_counted_one_by_one(world, by):
    """Grouped by the database, the positive pools are those counted from their members' (pool, commune) pairs:
    a pool once per day, and once in each of its members' communes."""
    first = TODAY - timedelta(days=4)
    pools = Sample.objects.filter(pooled=True, result=Result.POSITIVE, status="released",
                                  released_at__gte=local_midnight(first))
    assert pools.exists()
    for ids in (None, [world["communes"][0].pk], [c.pk for c in world["communes"][1:]]):
        expected = defaultdict(int)
        pairs = {(swab.sample_id, swab.person.commune_id, swab.sample.released_at)
                 for swab in Swab.objects.filter(sample__in=pools).select_related("sample", "person")
                 if ids is None or swab.person.commune_id in ids}
        if by == "commune":
            for _sample, commune in {(sample, commune) for sample, commune, _at in pairs}:
                expected[commune] += 1
        else:
            for _sample, released in {(sample, released) for sample, _commune, released in pairs}:
                expected[timezone.localtime(released).date()] += 1
        assert stats.positive_pools(first_day=first, by=by, commune_ids=ids) == dict(expected), ids
