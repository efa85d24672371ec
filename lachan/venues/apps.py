from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "lachan.venues"
    label = "venues"

    def ready(self):
        from lachan.core.scheduler import periodic

        periodic("venues.delete_old_checkins", every="daily", at="02:30")(delete_old_checkins)


def delete_old_checkins() -> str:
    """Daily: check-ins older than the horizon are deleted (they are only kept for tracing)."""
    from .services import checkins_delete_old

    return f"deleted {checkins_delete_old()} check-ins"
