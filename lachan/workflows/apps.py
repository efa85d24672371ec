from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Cross-domain use cases. An app only so that its wiring runs in every process (web, worker, commands): the
    follow-ups connected to the domains' signals (receivers.py), the providers and trials it registers (its
    periodic jobs are in scheduled.py)."""

    name = "lachan.workflows"
    label = "workflows"

    def ready(self):
        # A case's isolation state on the cases pages: from its isolation order in force today.
        from lachan.cases.isolation import register_isolation_orders

        from .quarantine_orders.isolation import ISOLATION_ORDERS

        register_isolation_orders(ISOLATION_ORDERS)

        # The quarantine policy's trial for the generic policy pages: it reads orders, cases and tracing.
        from django.utils.translation import gettext_lazy as _

        from lachan.core.policies import register_policy_trial

        from .quarantine_orders.policy_trial import quarantine_policy_trial
        from .risk_levels.services import risk_policy_trial_recent

        register_policy_trial("quarantine", quarantine_policy_trial,
                              help=_("The orders in force are planned again under the draft, and the F1s of the last "
                                     "14 days without an order are counted: who would be quarantined, until when."))
        register_policy_trial("risk", risk_policy_trial_recent,
                              help=_("The levels of the last 14 days are computed again under the draft, beside the "
                                     "levels saved then (the risk pages try any period)."))

        # The follow-ups of the domains' events (a sample registered, check-ins recorded): Django signals.
        from . import receivers  # noqa: F401
