from django.apps import AppConfig


class SimulateConfig(AppConfig):
    name = "lachan.simulate"
    label = "simulate"
