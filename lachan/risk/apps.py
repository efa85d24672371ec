from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk levels of administrative units (cấp độ dịch). The daily computation gathers its inputs from other
    domains, so it is a workflow (lachan.workflows.risk_levels, scheduled there)."""

    name = "lachan.risk"
    label = "risk"

    def ready(self):
        from lachan.core.policies import register_policy_kind

        from .policy import POLICY_KIND, validate_rules

        register_policy_kind(POLICY_KIND, validate_rules)
