from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.geo.forms import UnitSelect, unit_choices

from .models import VenueKind, VenueSize


class VenueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=VenueKind.choices)
    size = forms.ChoiceField(label=_("Size"), choices=VenueSize.choices)
    capacity = forms.IntegerField(label=_("Capacity (people)"), required=False, min_value=1)
    area_m2 = forms.IntegerField(label=_("Floor area (m²)"), required=False, min_value=1, max_value=10_000_000)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    commune = forms.ChoiceField(label=_("Commune"), widget=UnitSelect)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = unit_choices(communes)


class FirstCheckInForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    birth_year = forms.IntegerField(label=_("Year of birth"), min_value=1900, max_value=2100)
    commune = forms.ChoiceField(label=_("Commune where you live"), widget=UnitSelect)

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = unit_choices(communes)
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        self.fields["full_name"].widget.attrs.update(autocomplete="name")


class LogbookForm(forms.Form):
    file = forms.FileField(label=_("Logbook file (CSV or Excel)"))


class SizeConfirmForm(forms.Form):
    """A commune station, having seen the venue, confirms or corrects the size tracing uses."""

    size = forms.ChoiceField(label=_("Size seen by the station"), choices=VenueSize.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
