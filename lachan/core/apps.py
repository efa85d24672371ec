from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lachan.core"
    label = "core"
    verbose_name = "Core"
