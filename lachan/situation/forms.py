"""Forms of the map pages: a lockdown area drawn (its geometry filled in by the drawing tool), a GeoJSON file of
areas, lifting and deleting one. The services check everything again; these only shape the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import DayField
from lachan.core.widgets import DateInput


class LockdownForm(forms.Form):
    name = forms.CharField(label=_("Name (hamlet, street, building)"), max_length=200)
    starts_on = DayField(label=_("From"), widget=DateInput())
    ends_on = DayField(label=_("Until (empty: until lifted)"), widget=DateInput(), required=False)
    residents = forms.IntegerField(label=_("Residents (reported; empty: estimated)"), min_value=0, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    geometry = forms.CharField(widget=forms.HiddenInput(), required=False)


class LockdownImportForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON file"))
    starts_on = DayField(label=_("From (where a feature has no date)"), widget=DateInput(), required=False)
    ends_on = DayField(label=_("Until (where a feature has no date)"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("Reason (where a feature has none)"), max_length=500, required=False)


class LockdownLiftForm(forms.Form):
    on = DayField(label=_("Lifted from"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=500)


class LockdownDeleteForm(forms.Form):
    reason = forms.CharField(label=_("Why delete it (entered by mistake…)"), max_length=500)
