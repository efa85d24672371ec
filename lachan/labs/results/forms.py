"""Result forms; the rules live in lachan.labs.results and imports (these only parse what the browser sends)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.widgets import DateTimeInput

from ..models import ColumnMapping, Laboratory, Result
from . import files

LOCAL_DATETIME = DateTimeInput()
RESULT_CHOICES = [("", "—"), *Result.choices]


class CtField(forms.Field):
    """A Ct value typed with a dot or a comma."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20})

    def to_python(self, value):
        from .services import parse_ct

        try:
            return parse_ct(str(value or "").strip()[:20])
        except ValueError:
            raise forms.ValidationError(_("Enter a number, e.g. 24.5.")) from None


class ResultForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=RESULT_CHOICES)
    ct_value = CtField(label=_("Ct value (RT-PCR)"), required=False)
    tested_at = forms.DateTimeField(label=_("Tested at (empty: now)"), required=False, widget=LOCAL_DATETIME,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    release = forms.BooleanField(label=_("Release the result now (people are told)"), required=False, initial=True)


class CorrectionForm(forms.Form):
    result = forms.ChoiceField(label=_("Corrected result"), choices=RESULT_CHOICES)
    ct_value = CtField(label=_("Ct value (RT-PCR)"), required=False)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=300)


class LabChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.place.name


class MappingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Result file (CSV or Excel .xlsx)"))
    laboratory = LabChoice(label=_("Laboratory"), queryset=Laboratory.objects.none(), empty_label="—")
    mapping = MappingChoice(label=_("File layout"), queryset=ColumnMapping.objects.none(), required=False,
                            empty_label=_("recognise the usual headings"))
    release = forms.BooleanField(label=_("Release the results now (people are told)"), required=False, initial=True)

    def __init__(self, *args, laboratories, mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["laboratory"].queryset = laboratories
        self.fields["mapping"].queryset = mappings
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.xlsx,text/csv"
        only = list(laboratories[:2])
        if len(only) == 1:  # lab staff: their own laboratory
            self.fields["laboratory"].initial = only[0].pk
            self.fields["laboratory"].widget = forms.HiddenInput()


class RetestForm(forms.Form):
    code = forms.CharField(label=_("Code of the new tube"), max_length=60, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    generate_code = forms.BooleanField(label=_("No pre-printed label: generate a code"), required=False)
    collected_at = forms.DateTimeField(label=_("Collected at (empty: now)"), required=False, widget=LOCAL_DATETIME,
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def clean_collected_at(self):
        value = self.cleaned_data.get("collected_at")
        return timezone.make_aware(value) if value is not None and timezone.is_naive(value) else value


class SampleFileForm(forms.Form):
    file = forms.FileField(label=_("An example of the laboratory's file (CSV or .xlsx)"))
    header_row = forms.IntegerField(label=_("Row of the headings (empty: found by itself)"), required=False,
                                    min_value=1, max_value=files.HEADER_SEARCH_ROWS)


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form's fields (unknown fields: the form's own errors)."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    for error in errors:
        name = {"ct": "ct_value"}.get(error.field, error.field)
        form.add_error(name if name in form.fields else None, str(error.message))
