from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lachan.cases"
    label = "cases"
