from django.db import models
from django.utils.translation import gettext_lazy as _

from lachan.core.models import BaseModel
from lachan.geo.models import Place


class Checkpoint(BaseModel):
    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="checkpoint")
    road = models.CharField(_("road"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("checkpoint")

    def __str__(self) -> str:
        return self.place.name
