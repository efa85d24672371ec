from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "lachan.venues"
    label = "venues"
