from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "lachan.people"
    label = "people"

    def ready(self):
        from lachan.core.scheduler import periodic

        from . import (
            receivers,  # noqa: F401  links citizen accounts to their records
            tasks,
        )

        periodic("people.find_duplicates", every="daily", at="03:00")(tasks.enqueue_find_duplicates)
