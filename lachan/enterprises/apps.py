from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "lachan.enterprises"
    label = "enterprises"
