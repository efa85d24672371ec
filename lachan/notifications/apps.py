from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "lachan.notifications"
    label = "notifications"
