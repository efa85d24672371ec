from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "lachan.people"
    label = "people"

    def ready(self):
        from . import receivers  # noqa: F401  links citizen accounts to their records
