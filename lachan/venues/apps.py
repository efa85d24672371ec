from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "lachan.venues"
    label = "venues"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from lachan.core.scheduler import periodic
        from lachan.geo.models import Place

        from .models import Venue
        from .qr import venue_cache_clear

        for model in (Venue, Place):
            post_save.connect(venue_cache_clear, sender=model, dispatch_uid=f"venue-cache-{model.__name__}-save")
            post_delete.connect(venue_cache_clear, sender=model, dispatch_uid=f"venue-cache-{model.__name__}-delete")

        periodic("venues.delete_old_checkins", every="daily", at="02:30")(delete_old_checkins)


def delete_old_checkins() -> str:
    """Daily: check-ins older than the horizon are deleted (they are only kept for tracing)."""
    from .services import checkins_delete_old

    return f"deleted {checkins_delete_old()} check-ins"
