from django.apps import AppConfig


class CheckpointsConfig(AppConfig):
    name = "lachan.checkpoints"
    label = "checkpoints"
