from django.apps import AppConfig


def _enterprise_people(place_id):
    """An enterprise officer sees the enterprise's workers (past and present) and nobody else."""
    from .models import Worker

    return Worker.objects.filter(enterprise__place_id=place_id).values("person_id")


class EnterprisesConfig(AppConfig):
    name = "lachan.enterprises"
    label = "enterprises"

    def ready(self) -> None:
        from lachan.accounts.jurisdiction import register_place_people

        register_place_people("enterprise", _enterprise_people)
