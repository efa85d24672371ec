from django.apps import AppConfig


def _laboratory_people(place_id):
    """Laboratory staff see the people whose swabs were sent to their laboratory, and nobody else."""
    from .models import Swab

    return Swab.objects.filter(sample__laboratory__place_id=place_id).values("person_id")


class LabsConfig(AppConfig):
    name = "lachan.labs"
    label = "labs"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from lachan.accounts.jurisdiction import register_place_people
        from lachan.core.policies import register_policy_kind

        from .policy import policy_fields, validate_rules

        register_policy_kind("labs", validate_rules, label=_("Laboratories"), fields=policy_fields(),
                             position=30,
                             description=_("Pool sizes and the range of Ct values a result may carry."))
        register_place_people("laboratory", _laboratory_people)

        from .results import release  # noqa: F401 -- declares the telling task and registers its retries
