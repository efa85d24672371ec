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
