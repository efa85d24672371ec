from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "lachan.labs"
    label = "labs"
