import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import Place


def new_venue_code() -> str:
    """12 URL-safe characters, 72 random bits: not guessable, short enough for a QR code."""
    return secrets.token_urlsafe(9)


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
    area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    # `size` is what the registrant declared; tracing uses the size the tracing policy derives from the kind,
    # capacity and area (never smaller than declared), until a commune station confirms or corrects it here.
    size_confirmed = models.CharField(_("size confirmed by the station"), max_length=10, choices=VenueSize.choices,
                                      blank=True, default="")
    size_confirmed_at = models.DateTimeField(_("size confirmed at"), null=True, blank=True)
    size_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", db_index=False, verbose_name=_("size confirmed by"))
    # The most people checked in at once (venues.crowd_peaks, daily) since the size was last confirmed.
    crowd_peak = models.PositiveIntegerField(_("most people at once"), null=True, blank=True)
    crowd_peak_at = models.DateTimeField(_("most people at once, when"), null=True, blank=True)
    # The unguessable code in the QR URL. Null only for venues bulk-loaded without one (the synthetic
    # province); venue_code_ensure() gives them one when their poster is first needed.
    code = models.CharField(_("code"), max_length=16, unique=True, null=True, blank=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="venues_owned", verbose_name=_("owner"))

    class Meta:
        verbose_name = _("venue")

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = new_venue_code()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:  # a partial save must store the new code too
                kwargs["update_fields"] = {*update_fields, "code"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.place.name


class CheckInSource(models.TextChoices):
    QR = "qr", _("QR scan")
    API = "api", _("device (API)")
    LOGBOOK = "logbook", _("paper logbook")
    STAFF = "staff", _("entered by staff")


class CheckIn(models.Model):
    """One visit of a person to a venue (ADR 0002). Tens of millions of rows over the horizon, so an
    integer key, no separate foreign-key indexes, and checked_out_at always set (assumed if unknown)
    so co-presence is a bounded range scan on (venue, checked_in_at)."""

    id = models.BigAutoField(primary_key=True)
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="checkins", db_index=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="checkins", db_index=False)
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"))
    checkout_assumed = models.BooleanField(_("check-out assumed"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=CheckInSource.choices)
    client_key = models.CharField(_("client key"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "client_key"], condition=~models.Q(client_key=""),
                name="venues_checkin_client_key",
            ),
        ]
        indexes = [
            # Covering on every backend (Index(include=...) is PostgreSQL-only): co-presence reads
            # only this index.
            models.Index(fields=["venue", "checked_in_at", "checked_out_at", "person"], name="venues_checkin_venue_time"),
            models.Index(fields=["person", "checked_in_at"], name="venues_checkin_person_time"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.venue_id} {self.checked_in_at:%Y-%m-%d %H:%M}"
