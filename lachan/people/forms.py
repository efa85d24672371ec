from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import DayField
from lachan.core.widgets import DateInput
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminLevel, AdminUnit

from .models import Sex
from .selectors import communes_in_scope


def _communes_for(user):
    communes = communes_in_scope(user=user)
    if not communes.exists() and not user.is_citizen:
        # Place-bound staff (an enterprise) register workers who live anywhere in the province.
        province = AdminUnit.objects.filter(
            tree=settings.LACHAN_ADMIN_TREE, level=AdminLevel.PROVINCE, code=settings.LACHAN_PROVINCE_CODE
        ).first()
        communes = AdminUnit.objects.filter(
            tree=settings.LACHAN_ADMIN_TREE, level=AdminLevel.COMMUNE, path__startswith=(province.path if province else "-") + "/"
        ).order_by("path")
    return communes.select_related("parent")


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, national ID or phone"), required=False, max_length=100)
    commune = UnitChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none(), required=False, empty_label=_("all"))
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("all")), *Sex.choices])
    birth_year_from = forms.IntegerField(label=_("Born from"), required=False, min_value=1900, max_value=2100)
    birth_year_to = forms.IntegerField(label=_("Born until"), required=False, min_value=1900, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes_in_scope(user=user).select_related("parent")

    @staticmethod
    def filters_empty() -> dict:
        return {"query": "", "commune": None, "sex": None, "birth_year_from": None, "birth_year_to": None}

    def filters(self) -> dict:
        """The selector's keyword arguments (invalid fields are ignored, shown as errors)."""
        data = self.cleaned_data if self.is_valid() else {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors
        }
        return {
            "query": data.get("q") or "", "commune": data.get("commune"), "sex": data.get("sex") or None,
            "birth_year_from": data.get("birth_year_from"), "birth_year_to": data.get("birth_year_to"),
        }


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    birth_date = DayField(label=_("Date of birth"), required=False, widget=DateInput())
    birth_year = forms.IntegerField(
        label=_("Year of birth (if the date is unknown)"), required=False, min_value=1900,
        max_value=timezone.now().year + 1,
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    national_id = forms.CharField(label=_("National ID (CCCD)"), required=False, max_length=20)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20, widget=forms.TextInput(attrs={"type": "tel"}))
    phone_alt = forms.CharField(label=_("Other phone"), required=False, max_length=20, widget=forms.TextInput(attrs={"type": "tel"}))
    commune = UnitChoiceField(label=_("Commune of residence"), queryset=AdminUnit.objects.none())
    address_line = forms.CharField(label=_("Address (house, street, hamlet)"), required=False, max_length=300)
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = _communes_for(user)
