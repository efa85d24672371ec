from django.apps import AppConfig


class QuarantineConfig(AppConfig):
    name = "lachan.quarantine"
    label = "quarantine"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from lachan.core.policies import register_policy_kind

        from .policy import policy_fields, validate_rules

        register_policy_kind("quarantine", validate_rules, label=_("Quarantine and isolation"), fields=policy_fields(),
                             position=20,
                             description=_("How long contacts are quarantined and cases isolated, where, with which tests, and the thresholds of monitoring."))

        # Monitoring: the missed check-ins once each policy version's report_by time has passed (checked every
        # quarter of an hour), the tests due in the morning, silent apps every minute, ended orders' pings.
        from lachan.core.scheduler import periodic

        from .geofence import pings_cleanup_job, silent_job
        from .monitoring import missed_reports_job, tests_due_job

        periodic("quarantine.missed_reports", every_minutes=15)(missed_reports_job)
        periodic("quarantine.tests_due", every="daily", at="06:00")(tests_due_job)
        periodic("quarantine.silent", every_minutes=1)(silent_job)
        periodic("quarantine.pings_cleanup", every="daily", at="03:30")(pings_cleanup_job)

        # Orders: no order ends by itself (the station checks, then releases); each morning the tests left
        # untaken for more than a day are marked missed and the orders due for release are counted.
        from .services import orders_due_summary

        periodic("quarantine.orders_due", every="daily", at="05:45")(orders_due_summary)
