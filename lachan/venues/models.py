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
    # Not stored: set when recorded if the person must go home and isolate (venues.signals), for the answer.
    must_isolate = False

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


class LogbookStatus(models.TextChoices):
    HELD = "held", _("held for review")  # over the venue's limits: nothing written until the station decides
    APPLIED = "applied", _("applied")  # check-ins of people already registered written; new people reviewed
    REJECTED = "rejected", _("rejected")


class LogbookImport(BaseModel):
    """One paper logbook file imported for a venue (logbooks/), kept for the station's review of what it held."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="logbooks", verbose_name=_("venue"))
    filename = models.CharField(_("file"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    checkins_written = models.PositiveIntegerField(_("check-ins written"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=LogbookStatus.choices)
    # Why it was held: [{"code": "rows_per_day", "day": "2026-12-01", "count": 5670, "limit": 84}, …]
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)

    class Meta:
        verbose_name = _("paper logbook")
        indexes = [models.Index(fields=["venue", "created_at"], name="venues_logbook_venue")]


class VisitorStatus(models.TextChoices):
    PENDING = "pending", _("to review")
    ACCEPTED = "accepted", _("added as a new person")
    MATCHED = "matched", _("matched to a registered person")
    REJECTED = "rejected", _("rejected")


class LogbookVisitor(models.Model):
    """A person a logbook names who is not in the register yet (or anyone of a held logbook), with their visits,
    waiting for the station: accepted as a new person, matched to a registered one, or rejected. The visits become
    check-ins only then; pending visitors are deleted with the check-ins past the tracing horizon."""

    id = models.BigAutoField(primary_key=True)
    logbook = models.ForeignKey(LogbookImport, on_delete=models.CASCADE, related_name="visitors")
    full_name = models.CharField(_("full name"), max_length=150)
    search_name = models.CharField(max_length=150)
    phone = models.CharField(_("phone"), max_length=10)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    commune = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The registered person with this phone and name when the file was read (a held logbook's regulars).
    known_person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False)
    visits = models.JSONField(default=list)  # [[checked in, checked out, check-out assumed], …] ISO times
    status = models.CharField(_("status"), max_length=10, choices=VisitorStatus.choices, default=VisitorStatus.PENDING)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["logbook", "status", "search_name"], name="venues_visitor_review")]
