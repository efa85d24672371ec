from lachan.geo.models import Place
from lachan.venues.models import Venue


def test_a_partial_save_stores_a_new_code(units):
    place = Place.objects.create(kind="venue", name="Chợ", commune=units.commune)
    venue = Venue.objects.create(place=place, kind="market", size="large")
    Venue.objects.filter(pk=venue.pk).update(code=None)  # as bulk-loaded venues are
    venue.refresh_from_db()
    venue.capacity = 50
    venue.save(update_fields=["capacity"])
    venue.refresh_from_db()
    assert venue.code and venue.capacity == 50
