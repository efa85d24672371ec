from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "lachan.notifications"
    label = "notifications"

    def ready(self):
        from lachan.core.scheduler import periodic

        from . import services

        periodic("notifications.send_due", every_minutes=1)(services.messages_send_due)
