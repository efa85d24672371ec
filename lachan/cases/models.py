from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.core.text import fold
from lachan.geo.models import AdminUnit
from lachan.people.models import Person


class CaseOrigin(models.TextChoices):
    COMMUNITY = "community", _("community")
    IN_QUARANTINE = "in_quarantine", _("detected in quarantine")


class CaseStatus(models.TextChoices):
    ISOLATING_HOME = "isolating_home", _("isolating at home")
    ISOLATING_FACILITY = "isolating_facility", _("isolating in a facility")
    HOSPITAL = "hospital", _("in hospital")
    RECOVERED = "recovered", _("recovered")
    DECEASED = "deceased", _("deceased")


ACTIVE_STATUSES = (CaseStatus.ISOLATING_HOME, CaseStatus.ISOLATING_FACILITY, CaseStatus.HOSPITAL)
FINAL_STATUSES = (CaseStatus.DECEASED,)


class ClusterKind(models.TextChoices):
    HOUSEHOLD = "household", _("household")
    WORKPLACE = "workplace", _("workplace")
    VENUE = "venue", _("venue")
    SCHOOL = "school", _("school")
    INDUSTRIAL_PARK = "industrial_park", _("industrial park")
    SUPERMARKET = "supermarket", _("supermarket")
    HOSPITAL = "hospital", _("hospital")
    COMMUNITY = "community", _("community")
    UNKNOWN = "unknown", _("unknown source")


# Decision 2686: a cluster of unknown source or in an industrial park, a school or a supermarket puts
# its commune at the highest risk level.
HIGH_RISK_KINDS = (ClusterKind.UNKNOWN, ClusterKind.INDUSTRIAL_PARK, ClusterKind.SCHOOL, ClusterKind.SUPERMARKET)


class Cluster(BaseModel):
    """Cases with a common source (ổ dịch); the kind matters for the risk level (Decision 2686)."""

    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(max_length=200, blank=True, editable=False)  # fold(name), set on save
    kind = models.CharField(_("kind"), max_length=20, choices=ClusterKind.choices)
    source_description = models.TextField(_("common source"), blank=True)
    commune = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("commune"))
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)  # null: still open
    closed_reason = models.CharField(_("reason for closing"), max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_on", "name"]
        verbose_name = _("cluster")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)[:200]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def is_high_risk_kind(self) -> bool:
        return self.kind in HIGH_RISK_KINDS

    @property
    def days_since_last_case(self) -> int | None:
        """From the `last_case_at` that the cluster selectors annotate."""
        last = getattr(self, "last_case_at", None)
        return None if last is None else (timezone.localdate() - timezone.localdate(last)).days


class Case(BaseModel):
    """A confirmed infection (F0)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person"))
    # The person's commune of residence, kept in step with it (save() below, the bulk confirmations, and the
    # people layer's person_commune_changed signal): jurisdiction reads a commune's cases as one index range
    # (commune, confirmed_at) instead of going through each case's person.
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", db_index=False,
                                verbose_name=_("commune"))
    code = models.CharField(_("case code"), max_length=32, unique=True)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    onset_date = models.DateField(_("symptom onset"), null=True, blank=True)  # null: asymptomatic
    sample_date = models.DateField(_("positive sample taken on"))
    origin = models.CharField(_("origin"), max_length=20, choices=CaseOrigin.choices)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ISOLATING_HOME)
    status_since = models.DateTimeField(_("status since"))
    # The infectious window that tracing searches: infectious_from (a day) … isolated_at.
    infectious_from = models.DateField(_("infectious from"))
    isolated_at = models.DateTimeField(_("isolated at"))
    cluster = models.ForeignKey(Cluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
                                verbose_name=_("cluster"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("case")
        indexes = [models.Index(fields=["confirmed_at"], name="cases_case_confirmed"),
                   models.Index(fields=["commune", "confirmed_at"], name="cases_case_commune_confirmed")]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        if self.commune_id is None and self.person_id is not None:
            self.commune_id = Person.objects.filter(pk=self.person_id).values_list("commune_id", flat=True).first()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def asymptomatic(self) -> bool:
        return self.onset_date is None


class CaseStatusChange(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=CaseStatus.choices)
    since = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["since", "changed_at"]
