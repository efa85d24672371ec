from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lachan.cases"
    label = "cases"

    def ready(self):
        from . import receivers  # noqa: F401  a case's commune follows its person's
