from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import Place


class VenueKind(models.TextChoices):
    MARKET = "market", _("market")
    SUPERMARKET = "supermarket", _("supermarket")
    RESTAURANT = "restaurant", _("restaurant")
    CAFE = "cafe", _("café")
    OFFICE = "office", _("office")
    SCHOOL = "school", _("school")
    RELIGIOUS = "religious", _("religious site")
    BUS_STATION = "bus_station", _("bus station")
    HOSPITAL = "hospital", _("hospital")
    CLINIC = "clinic", _("clinic")
    PHARMACY = "pharmacy", _("pharmacy")
    GYM = "gym", _("gym")
    KARAOKE = "karaoke", _("karaoke")
    BARBER = "barber", _("barber / beauty salon")
    OTHER = "other", _("other")


class VenueSize(models.TextChoices):
    SMALL_ENCLOSED = "small", _("small enclosed room")
    LARGE = "large", _("large space")


class Venue(BaseModel):
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="venue")
    kind = models.CharField(_("kind"), max_length=20, choices=VenueKind.choices)
    size = models.CharField(_("size"), max_length=10, choices=VenueSize.choices)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        verbose_name = _("venue")

    def __str__(self) -> str:
        return self.place.name
