"""Periodic jobs of the quarantine app (found by core.scheduler.autodiscover). Job names are stored: never rename."""

from lachan.core.scheduler import periodic

from .monitoring import missed_reports_job, pings_cleanup_job, silent_job, tests_due_job
from .orders import orders_due_summary

# Monitoring: the missed check-ins once each policy version's report_by time has passed (checked every quarter of
# an hour), the tests due in the morning, silent apps every minute, ended orders' pings.
periodic("quarantine.missed_reports", every_minutes=15)(missed_reports_job)
periodic("quarantine.tests_due", every="daily", at="06:00")(tests_due_job)
periodic("quarantine.silent", every_minutes=1)(silent_job)
periodic("quarantine.pings_cleanup", every="daily", at="03:30")(pings_cleanup_job)

# Orders: no order ends by itself (the station checks, then releases); each morning the tests left untaken for
# more than a day are marked missed and the orders due for release are counted.
periodic("quarantine.orders_due", every="daily", at="05:45")(orders_due_summary)
