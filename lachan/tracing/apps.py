from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "lachan.tracing"
    label = "tracing"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from lachan.core.policies import register_policy_kind, register_policy_trial

        from . import sources
        from .policy import policy_fields, validate_rules
        from .policy_trial import tracing_policy_trial

        register_policy_kind("tracing", validate_rules, label=_("Contact tracing"), fields=policy_fields(),
                             position=10,
                             description=_("Who is an F1, F2 or F3 of a case: the infectious window, time and "
                                           "distance together, households, venues."))
        register_policy_trial("tracing", tracing_policy_trial,
                              help=_("The 10 most recent cases of the last 14 days are traced again under the draft "
                                     "and compared with their contacts under the version in force."))
        sources.register_defaults()
