from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk levels of administrative units (cấp độ dịch). The daily computation gathers its inputs from other
    domains, so it is a workflow (lachan.workflows.risk_levels, scheduled there)."""

    name = "lachan.risk"
    label = "risk"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from lachan.core.policies import register_policy_kind

        from .policy import POLICY_KIND, policy_fields, validate_rules

        # Its rules (a matrix of bands, methods with their own fields) have richer pages of their own: /risk/policies/.
        register_policy_kind(POLICY_KIND, validate_rules, label=_("Risk levels"), pages="risk:policies", position=50,
                             fields=policy_fields(),
                             description=_("How a unit's level (1 new normal … 4 very high) is decided from its "
                                           "cases, vaccination and treatment capacity."))
