"""Quarantine (contacts) and isolation (cases) orders, facilities, daily monitoring, location pings
and the alert queue of the commune station and the operations centre.

Who monitors an order is `Order.commune`: the commune of the home for home quarantine, the commune of
the facility otherwise; every selector filters on it. Durations and tests come from the `quarantine`
policy version in force on the order's start (see lachan.quarantine.policy)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lachan.core.models import BaseModel
from lachan.geo.models import AdminUnit, Place
from lachan.people.models import Person


class Facility(BaseModel):
    """A quarantine or isolation facility (khu cách ly tập trung): a place with rooms and beds."""

    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="quarantine_facility")
    for_isolation = models.BooleanField(_("takes cases (isolation)"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("quarantine facility")
        verbose_name_plural = _("quarantine facilities")

    def __str__(self) -> str:
        return self.place.name


class FacilityRoom(BaseModel):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("room"), max_length=50)
    beds = models.PositiveSmallIntegerField(_("beds"))

    class Meta:
        ordering = ["facility", "name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="quarantine_room_name"),
            models.CheckConstraint(condition=Q(beds__gte=1), name="quarantine_room_beds"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.name}"


class OrderKind(models.TextChoices):
    QUARANTINE = "quarantine", _("quarantine (contact)")
    ISOLATION = "isolation", _("isolation (case)")


class Setting(models.TextChoices):
    HOME = "home", _("at home")
    FACILITY = "facility", _("in a facility")


class Immunity(models.TextChoices):
    """What the 12/2021 rules shortened quarantine for; unknown is treated as none."""

    NONE = "none", _("not vaccinated, not recovered")
    VACCINATED = "vaccinated", _("fully vaccinated")
    RECOVERED = "recovered", _("recovered within 6 months")
    UNKNOWN = "unknown", _("unknown")


class OrderStatus(models.TextChoices):
    ACTIVE = "active", _("in force")
    RELEASED = "released", _("released (completed)")
    ENDED_EARLY = "ended_early", _("ended early")


class Order(BaseModel):
    """A quarantine or isolation order for one person: where, from when to when, under which policy."""

    code = models.CharField(_("order number"), max_length=32, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="quarantine_orders",
                               verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=12, choices=OrderKind.choices)
    setting = models.CharField(_("where"), max_length=10, choices=Setting.choices)
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("facility"))
    room = models.ForeignKey(FacilityRoom, null=True, blank=True, on_delete=models.PROTECT, related_name="orders",
                             verbose_name=_("room"))
    # The centre of the geofence: the home (entered, or the first accurate fix after consent) or the facility.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geofence_radius_m = models.PositiveIntegerField(_("geofence radius (m)"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))  # the last day in quarantine, inclusive
    # A facility-then-home regime (05/2021: 21 days facility, then 7 at home): the day the person goes home.
    home_from = models.DateField(_("at home from"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=300, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", db_index=False)
    # Why: the F0 (isolation: the person's own case; quarantine: the case they were exposed to).
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("case"))
    contact_tier = models.PositiveSmallIntegerField(_("contact tier"), null=True, blank=True)
    exposed_on = models.DateField(_("last exposure"), null=True, blank=True)
    immunity = models.CharField(_("vaccination / recovery"), max_length=12, choices=Immunity.choices,
                                default=Immunity.UNKNOWN)
    policy = models.ForeignKey("core.Policy", on_delete=models.PROTECT, related_name="+")
    # Monitoring state, kept by the services so the minute jobs read one row per order.
    location_consent_at = models.DateTimeField(_("location consent"), null=True, blank=True)
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_report_on = models.DateField(null=True, blank=True)
    # When the person was last sent their order (order_notify): a bulk run again skips those notified. The
    # column keeps its first name (`told`): renaming it is a migration for no user.
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "code"]
        verbose_name = _("quarantine order")
        indexes = [
            models.Index(fields=["commune", "status", "ends_on"], name="quarantine_order_commune"),
            models.Index(fields=["person", "starts_on"], name="quarantine_order_person"),
            models.Index(fields=["status", "ends_on"], name="quarantine_order_due"),
        ]
        constraints = [
            # One order in force per person (overlapping dates are refused by the services too).
            models.UniqueConstraint(fields=["person"], condition=Q(status="active"), name="quarantine_one_active"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="quarantine_end_after_start"),
            models.CheckConstraint(condition=Q(setting="home") | Q(facility__isnull=False),
                                   name="quarantine_facility_given"),
            models.CheckConstraint(condition=Q(room__isnull=True) | Q(setting="facility"),
                                   name="quarantine_room_in_facility"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == OrderStatus.ACTIVE

    def day_number(self, on) -> int:
        """Day 1 is the first day of the order."""
        return (on - self.starts_on).days + 1


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("created")
    EXTENDED = "extended", _("extended")
    MOVED = "moved", _("moved")
    ROOM = "room", _("room assigned")
    ENDED_EARLY = "ended_early", _("ended early")
    RELEASED = "released", _("released")


class OrderEvent(models.Model):
    """The order's history: every change, by whom, when, with what it was before."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=OrderEventKind.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", db_index=False)
    detail = models.JSONField(default=dict)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class TestStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    SAMPLED = "sampled", _("sampled")
    DONE = "done", _("result in")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("cancelled")


# The person's own result of a required test (the outcome of their swab, which a pool's result is not).
TEST_RESULT_LABELS = {"negative": _("negative"), "positive": _("positive"),
                      "retest": _("positive pool: individual re-test needed"),
                      "inconclusive": _("inconclusive: sample again"), "rejected": _("sample rejected: sample again")}


class RequiredTest(models.Model):
    """A test the policy requires on a day of the order; the lab module samples it (a sampling task)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tests")
    day = models.PositiveSmallIntegerField(_("day"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=TestStatus.choices, default=TestStatus.PLANNED)
    sample = models.ForeignKey("labs.Sample", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    result = models.CharField(_("result"), max_length=12, blank=True)

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["status", "due_on"], name="quarantine_test_due")]
        constraints = [models.UniqueConstraint(fields=["order", "day"], name="quarantine_test_day")]

    @property
    def result_display(self) -> str:
        return str(TEST_RESULT_LABELS.get(self.result, self.result))


class ReportSource(models.TextChoices):
    SELF = "self", _("by the person (phone page)")
    APP = "app", _("by the citizen app")
    STAFF = "staff", _("by staff after a call")


class SymptomReport(models.Model):
    """A daily symptom check-in. `alarming` is set by the services from the policy's thresholds."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reports")
    on = models.DateField(_("day"))
    reported_at = models.DateTimeField(_("reported at"))
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    fever = models.BooleanField(_("fever"), default=False)
    cough = models.BooleanField(_("cough"), default=False)
    sore_throat = models.BooleanField(_("sore throat"), default=False)
    breathing_difficulty = models.BooleanField(_("difficulty breathing"), default=False)
    loss_of_taste_smell = models.BooleanField(_("loss of taste or smell"), default=False)
    spo2 = models.PositiveSmallIntegerField(_("oxygen saturation (%)"), null=True, blank=True)
    other = models.CharField(_("other symptoms"), max_length=300, blank=True)
    alarming = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)

    class Meta:
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["order", "on"], name="quarantine_report_day")]
        constraints = [
            models.CheckConstraint(condition=Q(spo2__isnull=True) | Q(spo2__gte=50, spo2__lte=100),
                                   name="quarantine_report_spo2"),
        ]


class LocationPing(models.Model):
    """One location fix from the citizen app (with consent). Deleted when the order ends."""

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    at = models.DateTimeField()  # the fix's time on the phone
    received_at = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy_m = models.FloatField()
    distance_m = models.FloatField()  # from the centre of the geofence
    outside = models.BooleanField(default=False)  # outside even allowing for the fix's accuracy

    class Meta:
        indexes = [models.Index(fields=["order", "at"], name="quarantine_ping_order")]


class AlertKind(models.TextChoices):
    VIOLATION = "violation", _("left the place of quarantine")
    SILENT = "silent", _("no location for too long")
    SYMPTOMS = "symptoms", _("alarming symptoms")
    MISSED_REPORT = "missed_report", _("missed daily check-in")
    TEST_DUE = "test_due", _("test due")


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    HANDLED = "handled", _("handled")
    CLOSED = "closed", _("closed")


# Still to be dealt with: a new event of the same kind adds to it instead of raising another. A handled alert
# (someone went to the house) is done with: leaving again raises a new one.
OPEN_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """One item of the alert queue of the commune station (its `commune`) and the operations centre."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=14, choices=AlertKind.choices)
    # The order monitored; none for a case who should be isolating but has no order in force (not made yet, over,
    # or starting later) and checked in somewhere: the alert is then about `person`, for their commune's station.
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    raised_at = models.DateTimeField(_("raised at"))
    # The day a missed check-in or a due test is about; the report that was alarming.
    about_on = models.DateField(null=True, blank=True)
    report = models.ForeignKey(SymptomReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict)  # e.g. distance, accuracy, readings
    repeats = models.PositiveIntegerField(default=0)  # later events of the same open alert (pings still outside)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", db_index=False)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", db_index=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["commune", "status", "raised_at"], name="quarantine_alert_queue")]
        constraints = [
            # A person still outside (or still silent) keeps one open alert, counted in `repeats`.
            models.UniqueConstraint(fields=["order", "kind"], name="quarantine_alert_one_open",
                                    condition=Q(kind__in=["violation", "silent"])
                                    & Q(status__in=["open", "acknowledged"])),
            # One alert per order and day for a missed check-in or a due test.
            models.UniqueConstraint(fields=["order", "kind", "about_on"], name="quarantine_alert_day",
                                    condition=Q(kind__in=["missed_report", "test_due"])),
            # Without an order: one open alert per person and kind too, and the person is known.
            models.UniqueConstraint(fields=["person", "kind"], name="quarantine_alert_one_open_person",
                                    condition=Q(order__isnull=True) & Q(kind__in=["violation", "silent"])
                                    & Q(status__in=["open", "acknowledged"])),
            models.CheckConstraint(condition=Q(order__isnull=False) | Q(person__isnull=False),
                                   name="quarantine_alert_about_someone"),
        ]

    @property
    def subject(self) -> Person:
        """Whom the alert is about: the order's person, or the person of an alert without an order."""
        return self.order.person if self.order_id else self.person
