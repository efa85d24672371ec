"""The transmission chain's filter (the rules live in the selectors: this only parses what the browser sends)."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.cases.models import Cluster
from lachan.cases.selectors import clusters_in_scope
from lachan.core.forms import ListedChoiceIterator
from lachan.core.parsers import uuid_or_none
from lachan.core.widgets import DateInput, LongSelect
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit, unit_label_fields, unit_label_of
from lachan.people.selectors import communes_in_scope

from .selectors import ChainFilter

EARLIEST = date(2020, 1, 1)


class ClusterChoiceField(forms.ModelChoiceField):
    widget = LongSelect
    iterator = ListedChoiceIterator
    option_fields = ["name", "opened_on", "commune_id", *unit_label_fields("commune__")]

    def label_from_instance(self, obj):
        place = f" — {obj.commune.label}" if obj.commune_id else ""
        return f"{obj.name}{place} ({obj.opened_on:%d/%m/%Y})"

    def label_from_values(self, row) -> str:
        name, opened_on, commune_id, *unit = row
        place = f" — {unit_label_of(unit)}" if commune_id else ""
        return f"{name}{place} ({opened_on:%d/%m/%Y})"


class ChainFilterForm(forms.Form):
    cluster = ClusterChoiceField(label=_("Cluster"), queryset=None, required=False, empty_label=_("all"))
    commune = UnitChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none(), required=False,
                              empty_label=_("all"))
    date_from = forms.DateField(label=_("Confirmed from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Confirmed until"), required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Validated against the one chosen; the choices shown are set by offer_clusters (those of the cases shown).
        chosen = (self.data.get("cluster") or "") if self.is_bound else ""
        self.fields["cluster"].queryset = (clusters_in_scope(user).filter(pk=chosen) if is_uuid(chosen)
                                           else Cluster.objects.none())
        self.fields["commune"].queryset = communes_in_scope(user=user).select_related("parent").defer(
            "boundary", "parent__boundary")  # a province's 547 GeoJSON boundaries are not drawn in a list

    def offer_clusters(self, cluster_ids: list) -> None:
        """The clusters listed: those of the cases of the chosen days and commune, and the one chosen (as validated:
        in the reader's jurisdiction; not checked again in a subquery)."""
        chosen = (getattr(self, "cleaned_data", None) or {}).get("cluster") if "cluster" not in self.errors else None
        ids = [*cluster_ids, *([chosen.pk] if chosen is not None else [])]
        self.fields["cluster"].queryset = (Cluster.objects.filter(pk__in=ids)
                                           .select_related("commune__parent").order_by("-opened_on", "name"))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value is not None and not EARLIEST <= value <= today + timedelta(days=1):
                self.add_error(name, _("Enter a date from %(earliest)s to today.") % {
                    "earliest": EARLIEST.strftime("%d/%m/%Y")})
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end is before the start."))
        return data

    def chain_filter(self) -> ChainFilter:
        """The valid fields (an invalid one is shown as an error and ignored)."""
        data = {k: v for k, v in (self.cleaned_data if hasattr(self, "cleaned_data") else {}).items()
                if k not in self.errors}
        cluster, commune = data.get("cluster"), data.get("commune")
        return ChainFilter(cluster_id=cluster.pk if cluster else None, commune_id=commune.pk if commune else None,
                           date_from=data.get("date_from"), date_to=data.get("date_to"))


def is_uuid(value) -> bool:
    return uuid_or_none(value) is not None
