from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import Place
from lachan.people.models import Person


class Enterprise(BaseModel):
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="enterprise")
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    industrial_park = models.CharField(_("industrial park"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("enterprise")

    def __str__(self) -> str:
        return self.place.name


class Workshop(BaseModel):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="workshops")
    name = models.CharField(_("name"), max_length=120)

    def __str__(self) -> str:
        return self.name


class Team(BaseModel):
    """A production team (tổ sản xuất): people who work side by side, a close-contact source."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)

    def __str__(self) -> str:
        return self.name


class Worker(BaseModel):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="workers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="worker_records")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="workers")
    employee_code = models.CharField(_("employee code"), max_length=32, blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "person"], name="enterprises_worker_once")]
