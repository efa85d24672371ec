"""Risk levels (cấp độ dịch) of administrative units, one assessment per unit and day, and the inputs a province
enters by hand (vaccination coverage, treatment capacity) until the platform holds them itself."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel, Policy
from lachan.geo.models import AdminUnit


class RiskLevel(models.IntegerChoices):
    NEW_NORMAL = 1, _("level 1 – new normal (green)")
    MODERATE = 2, _("level 2 – moderate risk (yellow)")
    HIGH = 3, _("level 3 – high risk (orange)")
    VERY_HIGH = 4, _("level 4 – very high risk (red)")


LEVEL_COLOURS = {1: "green", 2: "yellow", 3: "orange", 4: "red"}


class RiskInputKind(models.TextChoices):
    """What a province may enter per unit. Coverage in % of the group; capacity 1 (met) or 0 (not met)."""

    VAX_ADULTS_1DOSE = "vax_adults_1dose", _("people aged 18 and over with at least one dose (%)")
    VAX_ADULTS_FULL = "vax_adults_full", _("people aged 18 and over fully vaccinated (%)")
    VAX_ELDERLY_FULL = "vax_elderly_full", _("people aged 65 and over fully vaccinated (%)")
    CAPACITY_MET = "capacity_met", _("treatment capacity met (1 yes, 0 no)")


COVERAGE_KINDS = (RiskInputKind.VAX_ADULTS_1DOSE, RiskInputKind.VAX_ADULTS_FULL, RiskInputKind.VAX_ELDERLY_FULL)


class RiskAssessment(models.Model):
    """A unit's level on a day under the policy version in force, with the numbers used and the rule that decided.

    `level` is what applies (an override wins); `computed_level` is what the rules gave. Either is null when the
    unit could not be assessed (an input the rule needs is missing, listed in `missing`). Recomputing a day
    replaces its computed values and keeps an override."""

    id = models.BigAutoField(primary_key=True)
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", db_index=False,
                             verbose_name=_("administrative unit"))
    on = models.DateField(_("day"))
    level = models.PositiveSmallIntegerField(_("level"), choices=RiskLevel.choices, null=True, blank=True)
    computed_level = models.PositiveSmallIntegerField(_("computed level"), choices=RiskLevel.choices, null=True,
                                                      blank=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+", db_index=False,
                               verbose_name=_("policy version"))
    inputs = models.JSONField(_("inputs"), default=dict)  # the numbers used
    reasons = models.JSONField(_("reasons"), default=list)  # [{"code": …, params…}], see lachan.risk.levels.explain
    missing = models.JSONField(_("missing inputs"), default=list)  # input names
    overridden = models.BooleanField(_("overridden"), default=False)
    override_reason = models.CharField(_("reason for the override"), max_length=500, blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-on", "unit_id"]
        verbose_name = _("risk assessment")
        indexes = [models.Index(fields=["on", "unit"], name="risk_assessment_day")]
        constraints = [
            # History: one row per unit and day (unit first: one unit's history is a range of this index).
            models.UniqueConstraint(fields=["unit", "on"], name="risk_assessment_unit_day"),
            models.CheckConstraint(condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=4),
                                   name="risk_assessment_level"),
            models.CheckConstraint(condition=Q(computed_level__isnull=True)
                                   | Q(computed_level__gte=1, computed_level__lte=4),
                                   name="risk_assessment_computed_level"),
            models.CheckConstraint(condition=Q(overridden=False) | Q(level__isnull=False),
                                   name="risk_assessment_override_level"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.on}: {self.level or '–'}"

    @property
    def assessed(self) -> bool:
        return self.level is not None

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(self.level or 0, "grey")


class RiskInput(models.Model):
    """A value a province enters for a unit as of a day. The latest as of the assessed day applies to the unit
    and, where they have none of their own, to the units beneath it."""

    id = models.BigAutoField(primary_key=True)
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", db_index=False,
                             verbose_name=_("administrative unit"))
    kind = models.CharField(_("input"), max_length=20, choices=RiskInputKind.choices)
    value = models.FloatField(_("value"))
    as_of = models.DateField(_("as of"))
    note = models.CharField(_("source or note"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", db_index=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        ordering = ["-as_of", "kind"]
        verbose_name = _("risk input")
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind", "as_of"], name="risk_input_unit_kind_day"),
            models.CheckConstraint(condition=Q(value__gte=0, value__lte=100), name="risk_input_value"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind} {self.value} ({self.as_of})"


class LockdownArea(BaseModel):
    """An area under lockdown (phong tỏa) or strict control for a period: drawn on the map or imported as GeoJSON.

    `unit` is the smallest unit that holds the whole area: it decides who sees and edits it. `residents` is the
    count the commune reports; `residents_estimate` is what the platform derives from the populations of the
    communes it covers (their density times the area inside each), kept so a list never recomputes it."""

    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("administrative unit"))
    geometry = models.JSONField(_("area (GeoJSON geometry)"))  # Polygon or MultiPolygon, WGS 84
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)  # null: until lifted
    residents = models.PositiveIntegerField(_("residents (reported)"), null=True, blank=True)
    residents_estimate = models.PositiveIntegerField(_("residents (estimated)"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=20, default="drawn")  # drawn | imported
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    lifted_reason = models.CharField(_("reason for lifting"), max_length=500, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("lockdown area")
        verbose_name_plural = _("lockdown areas")
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="risk_lockdown_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="risk_lockdown_dates_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_day(self):
        """The last day in force: lifting early ends it the day before."""
        ends = [d for d in (self.ends_on, self.lifted_on and self.lifted_on - timedelta(days=1)) if d]
        return min(ends) if ends else None

    def active_on(self, day) -> bool:
        last = self.last_day
        return self.starts_on <= day and (last is None or day <= last)
