"""Sampling forms; the rules live in services (these only parse what the browser sends)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput, DateTimeInput
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit

from ..models import CampaignKind, Laboratory, SwabReason, TestType
from ..policy import lab_rules
from .registering import MAX_RESERVE
from .services import MAX_RECEIVE


class LabField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.place.name


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    unit = UnitChoiceField(label=_("Area"), queryset=AdminUnit.objects.none(), empty_label="—")
    starts_on = DayField(label=_("Starts on"), widget=DateInput())
    ends_on = DayField(label=_("Ends on"), widget=DateInput(), required=False)
    test_type = forms.ChoiceField(label=_("Test"), choices=TestType.choices)
    pool_size = forms.IntegerField(label=_("Planned pool size"), min_value=1, max_value=50, initial=1)
    laboratory = LabField(label=_("Laboratory"), queryset=Laboratory.objects.none(), required=False,
                          empty_label=_("none yet"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units, laboratories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.select_related("parent")
        self.fields["laboratory"].queryset = laboratories
        rules = lab_rules()
        self.fields["pool_size"].help_text = _("1: individual samples; a pool holds %(min)d to %(max)d swabs.") % {
            "min": rules["min_pool_size"], "max": rules["max_pool_size"]}
        self.fields["pool_size"].widget.attrs.update(inputmode="numeric")
        if not self.is_bound and "starts_on" not in self.initial:
            self.fields["starts_on"].initial = timezone.localdate()


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name of the site"), max_length=200)
    commune = UnitChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none(), empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        if not self.is_bound and communes.count() == 1:
            self.fields["commune"].initial = communes.first()


class BlankLabelsForm(forms.Form):
    count = forms.IntegerField(label=_("Number of labels"), min_value=1, max_value=MAX_RESERVE, initial=24)
    site = forms.ChoiceField(label=_("Site"), required=False)

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("any site")), *[(str(s.pk), s.name) for s in sites]]


class ReceiveForm(forms.Form):
    codes = forms.CharField(
        label=_("Tube codes (scan one after another, or paste: one per line)"),
        widget=forms.Textarea(attrs={"rows": 8, "autofocus": True, "autocomplete": "off", "spellcheck": "false",
                                     "placeholder": "82-211122-000123\n82-211122-000124"}))
    received_at = forms.DateTimeField(label=_("Received at (empty: now)"), required=False,
                                      widget=DateTimeInput())

    def clean_codes(self):
        codes = self.cleaned_data["codes"]
        if len(codes.split()) > MAX_RECEIVE:
            raise forms.ValidationError(_("At most %(n)d tube codes at once.") % {"n": MAX_RECEIVE})
        return codes


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=200,
                             widget=forms.TextInput(attrs={"list": "reject-reasons"}))


REJECT_REASONS = (
    _("Tube leaked"), _("No label or unreadable code"), _("Too little specimen"), _("Arrived too late or too warm"),
    _("Wrong tube or medium"),
)

REASON_CHOICES = SwabReason.choices


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: on their field when the form has it, else on the form."""
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        form.add_error(err.field if err.field in form.fields else None, str(err.message))
