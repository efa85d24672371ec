from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tasks import task

from lachan.core import scheduler
from lachan.core.models import ScheduledRun
from lachan.core.scheduler import Job, periodic, registered_jobs, scheduler_tick

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@task()
def noop_task() -> None:
    return None


@pytest.fixture
def calls():
    calls = []
    names = []

    def register(name, **schedule):
        names.append(name)

        @periodic(name, **schedule)
        def job():
            calls.append(name)
            return f"{name} done"

        return [j for j in registered_jobs() if j.name == name]

    yield calls, register
    for name in names:
        scheduler.unregister(name)


def test_apps_register_their_jobs():
    jobs = {job.name: job for job in registered_jobs()}
    assert jobs["notifications.send_due"].every_minutes == 1
    assert jobs["core.prune_task_results"].every == "daily"
    assert str(jobs["core.prune_task_results"].at) == "02:00:00"


def test_minute_job_runs_once_per_period_even_when_ticked_twice(calls):
    called, register = calls
    jobs = register("test.every5", every_minutes=5)
    t0 = datetime(2021, 8, 1, 10, 0, 10, tzinfo=VN)
    assert scheduler_tick(t0, jobs=jobs) == ["test.every5"]
    assert scheduler_tick(t0 + timedelta(seconds=30), jobs=jobs) == []
    assert scheduler_tick(t0 + timedelta(minutes=4), jobs=jobs) == []
    assert scheduler_tick(t0 + timedelta(minutes=5), jobs=jobs) == ["test.every5"]
    assert called == ["test.every5", "test.every5"]
    runs = ScheduledRun.objects.filter(job="test.every5").order_by("started_at")
    assert [r.period for r in runs] == ["2021-08-01T03:00Z", "2021-08-01T03:05Z"]
    assert all(r.ok and r.finished_at and r.detail == "test.every5 done" for r in runs)


def test_another_worker_already_ran_the_period(calls):
    called, register = calls
    jobs = register("test.minute", every_minutes=1)
    now = datetime(2021, 8, 1, 10, 0, 0, tzinfo=VN)
    ScheduledRun.objects.create(job="test.minute", period=jobs[0].period(now))
    assert scheduler_tick(now, jobs=jobs) == []
    assert called == []


def test_daily_job_waits_for_its_local_time_and_runs_once_a_day(calls):
    called, register = calls
    jobs = register("test.daily", every="daily", at="02:00")
    assert scheduler_tick(datetime(2021, 8, 1, 1, 59, tzinfo=VN), jobs=jobs) == []
    assert scheduler_tick(datetime(2021, 8, 1, 2, 0, tzinfo=VN), jobs=jobs) == ["test.daily"]
    assert scheduler_tick(datetime(2021, 8, 1, 23, 59, tzinfo=VN), jobs=jobs) == []
    # 19:30 UTC on 1 August is 02:30 on 2 August in Vietnam: a new local day
    assert scheduler_tick(datetime(2021, 8, 1, 19, 30, tzinfo=ZoneInfo("UTC")), jobs=jobs) == ["test.daily"]
    assert list(ScheduledRun.objects.filter(job="test.daily").values_list("period", flat=True).order_by("period")) == [
        "2021-08-01", "2021-08-02"
    ]
    assert len(called) == 2


def test_daily_job_started_late_catches_up_the_same_day(calls):
    called, register = calls
    jobs = register("test.late", every="daily", at="02:00")
    assert scheduler_tick(datetime(2021, 8, 1, 15, 0, tzinfo=VN), jobs=jobs) == ["test.late"]


def test_failing_job_is_recorded_and_does_not_stop_others(calls):
    called, register = calls

    def broken():
        raise ValueError("boom")

    jobs = [Job(name="test.broken", func=broken, every="minutes", every_minutes=1)] + register(
        "test.fine", every_minutes=1
    )
    now = datetime(2021, 8, 1, 10, 0, tzinfo=VN)
    assert scheduler_tick(now, jobs=jobs) == ["test.broken", "test.fine"]
    run = ScheduledRun.objects.get(job="test.broken")
    assert run.ok is False and "ValueError: boom" in run.detail
    assert scheduler_tick(now, jobs=jobs) == []  # not retried within the same period


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"every": "daily", "every_minutes": 5}, {"every": "weekly"}, {"every_minutes": 0}, {"every_minutes": 2000},
     {"every": "daily", "at": "25:00"}],
)
def test_bad_schedules_are_refused(kwargs):
    with pytest.raises(ValueError):
        periodic("test.bad", **kwargs)
    assert "test.bad" not in {job.name for job in registered_jobs()}


def test_prune_job_removes_old_runs_and_task_results(settings):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from lachan.core.scheduled import prune_task_results

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "notifications"]}}
    old = ScheduledRun.objects.create(job="test.old", period="2020-01-01")
    ScheduledRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=40))
    recent = ScheduledRun.objects.create(job="test.recent", period="2021-08-01")
    result = noop_task.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=20)
    )
    fresh = noop_task.enqueue()
    detail = prune_task_results()
    assert "1 scheduler runs pruned" in detail
    assert not ScheduledRun.objects.filter(pk=old.pk).exists()
    assert ScheduledRun.objects.filter(pk=recent.pk).exists()
    assert not DBTaskResult.objects.filter(id=result.id).exists()
    assert DBTaskResult.objects.filter(id=fresh.id).exists()  # not finished: kept


def test_next_tick_is_aligned():
    now = datetime(2021, 8, 1, 10, 0, 10, tzinfo=VN)
    assert scheduler.next_tick_delay(30, now) == pytest.approx(20.5)
