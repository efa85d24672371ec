from django.apps import AppConfig


class QuarantineConfig(AppConfig):
    name = "lachan.quarantine"
    label = "quarantine"

    def ready(self):
        from lachan.core.policies import register_policy_kind

        from .policy import validate_rules

        register_policy_kind("quarantine", validate_rules)
