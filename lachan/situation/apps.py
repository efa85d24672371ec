from django.apps import AppConfig


class SituationConfig(AppConfig):
    """Read models over every domain: the map and the operations centre (ADR 0003). No models and no services: it
    reads, within each reader's jurisdiction; the staff home page (lachan.web) is built on it."""

    name = "lachan.situation"
    label = "situation"
