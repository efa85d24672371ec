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
        # Check-ins are deleted past the tracing horizon with the rest of the data collected for tracing
        # (lachan.workflows.retention). Each night, the most people at once at each venue: a "small room" that
        # held a crowd is flagged for its commune station.
        from lachan.core.scheduler import periodic

        periodic("venues.crowd_peaks", every="daily", at="03:10")(crowd_peaks_job)


def crowd_peaks_job() -> str:
    from .services import venues_crowd_count

    return f"{venues_crowd_count()} venues held more people at once than before"
