from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "lachan.venues"
    label = "venues"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from lachan.geo.models import Place

        from .models import Venue
        from .qr import venue_cache_clear

        for model in (Venue, Place):
            post_save.connect(venue_cache_clear, sender=model, dispatch_uid=f"venue-cache-{model.__name__}-save")
            post_delete.connect(venue_cache_clear, sender=model, dispatch_uid=f"venue-cache-{model.__name__}-delete")
