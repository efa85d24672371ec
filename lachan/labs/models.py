from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import Place


class Laboratory(BaseModel):
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="laboratory")
    does_rt_pcr = models.BooleanField(_("RT-PCR"), default=True)
    daily_capacity = models.PositiveIntegerField(_("tests per day"), null=True, blank=True)

    class Meta:
        verbose_name = _("laboratory")
        verbose_name_plural = _("laboratories")

    def __str__(self) -> str:
        return self.place.name
