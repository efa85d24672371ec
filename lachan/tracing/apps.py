from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "lachan.tracing"
    label = "tracing"

    def ready(self):
        from lachan.core.policies import register_policy_kind

        from . import sources
        from .policy import validate_rules

        register_policy_kind("tracing", validate_rules)
        sources.register_defaults()
