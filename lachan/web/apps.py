from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lachan.web"
    label = "web"
