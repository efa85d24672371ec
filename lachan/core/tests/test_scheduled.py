"""The periodic jobs registered from the apps' scheduled.py modules. A job's name is stored with each run
(core.ScheduledRun, unique with its period): renaming one would run it twice in a period, and lose its history."""

from lachan.core.scheduler import registered_jobs

JOBS = {
    "accounts.prune_phone_verifications": ("daily", "02:30", None),
    "core.cache_prune": ("minutes", None, 15),
    "core.prune_task_results": ("daily", "02:00", None),
    "core.recover_lost_tasks": ("minutes", None, 1),
    "core.retry_failed_tasks": ("minutes", None, 5),
    "labs.count_results": ("daily", "00:20", None),
    "notifications.send_due": ("minutes", None, 1),
    "people.find_duplicates": ("daily", "03:00", None),
    "quarantine.missed_reports": ("minutes", None, 15),
    "quarantine.orders_due": ("daily", "05:45", None),
    "quarantine.pings_cleanup": ("daily", "03:30", None),
    "quarantine.silent": ("minutes", None, 1),
    "quarantine.tests_due": ("daily", "06:00", None),
    "venues.crowd_peaks": ("daily", "03:10", None),
    "workflows.quarantine_tests_results": ("minutes", None, 5),
    "workflows.risk_levels": ("daily", "06:30", None),
    "workflows.tracing_retention": ("daily", "02:30", None),
}


def test_job_names_and_schedules_do_not_change():
    registered = {job.name: (job.every, job.at.strftime("%H:%M") if job.at else None, job.every_minutes)
                  for job in registered_jobs()}
    assert registered == JOBS


def test_jobs_of_an_app_are_in_its_scheduled_module():
    # labs, quarantine and venues move theirs from apps.py with issue 13 (tests/test_house_rules.py).
    modules = {job.name: job.func.__module__ for job in registered_jobs()}
    for app in ("accounts", "core", "notifications", "people", "workflows"):
        assert {modules[name] for name in JOBS if name.startswith(f"{app}.")} == {f"lachan.{app}.scheduled"}
