from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.cases.models import Case
from lachan.core.models import BaseModel
from lachan.geo.models import AdminUnit
from lachan.people.models import Person


class Tier(models.IntegerChoices):
    NOTICE = 0, _("exposure notice")
    F1 = 1, _("F1")
    F2 = 2, _("F2")
    F3 = 3, _("F3")


def tier_rank(tier: int) -> int:
    """Lower is closer: F1 < F2 < F3 < exposure notice."""
    return 9 if tier == Tier.NOTICE else tier


class Grade(models.TextChoices):
    CLOSE = "close", _("close contact")
    NOTICE = "notice", _("exposure notice")


class CallStatus(models.TextChoices):
    TO_CALL = "to_call", _("to call")
    REACHED = "reached", _("reached")
    NOT_REACHABLE = "not_reachable", _("not reachable")
    QUARANTINED = "quarantined", _("quarantined")


class TracingRun(models.Model):
    """One tracing of one case: the window, the policy version, what was found."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tracing_runs")
    policy_version = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    started_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at"]


class Contact(models.Model):
    """One person reached from one index case, with the closest tier found."""

    index_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    via = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            db_index=False, verbose_name=_("reached through"))
    exposed_at = models.DateTimeField(_("last exposure"))
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    call_status = models.CharField(_("call status"), max_length=16, choices=CallStatus.choices,
                                   default=CallStatus.TO_CALL)
    call_note = models.CharField(_("call note"), max_length=300, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)
    first_traced_at = models.DateTimeField(auto_now_add=True)
    last_run = models.ForeignKey(TracingRun, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["index_case", "person"], name="tracing_contact_once")]
        indexes = [
            models.Index(fields=["commune", "call_status", "tier"], name="tracing_contact_calls"),
            models.Index(fields=["person"], name="tracing_contact_person"),
            # The call list, newest exposure first, read off an index a page at a time (whole or by status).
            models.Index(fields=["exposed_at", "id"], name="tracing_contact_recent"),
            models.Index(fields=["call_status", "exposed_at", "id"], name="tracing_contact_status_recent"),
            # A case's contacts by tier (the report's counts and pages, the chain's share of each case), the commune
            # last so that the jurisdiction is checked from the index.
            models.Index(fields=["index_case", "tier", "id", "commune"], name="tracing_contact_case_tier"),
        ]
        ordering = ["tier", "exposed_at"]


class Exposure(models.Model):
    """One piece of evidence for a contact: where, when, how long, with whom."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="exposures")
    source = models.CharField(max_length=20)
    grade = models.CharField(max_length=10, choices=Grade.choices)
    with_person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    start = models.DateTimeField()
    minutes = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    small_room = models.BooleanField(default=False)
    ref = models.CharField(max_length=64, blank=True)
    text = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["start"]


class ProximityDevice(BaseModel):
    """A phone that uploads proximity logs with its owner's consent; the id is what other phones see."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proximity_devices")
    anonymous_id = models.CharField(max_length=64, unique=True)
    consent_given_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)


class ProximityEncounter(models.Model):
    reporter = models.ForeignKey(ProximityDevice, on_delete=models.CASCADE, related_name="encounters")
    other_id = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    distance_m = models.FloatField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "other_id", "started_at"], name="tracing_encounter_once"),
        ]
        indexes = [models.Index(fields=["reporter", "started_at"], name="tracing_encounter_time")]


class InterviewContact(BaseModel):
    """A contact named by a case in an investigator's interview."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interview_contacts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    relationship = models.CharField(_("relationship"), max_length=100)
    last_contact_at = models.DateTimeField(_("last contact"))
    minutes = models.PositiveIntegerField(_("minutes together"), null=True, blank=True)
    masked = models.BooleanField(_("both masked"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="tracing_interview_once")]
