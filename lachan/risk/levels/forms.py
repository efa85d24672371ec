"""Forms of the risk-level pages. They only parse what the browser sends; the rules (a reason is required, a level
is 1–4, a coverage 0–100 %, a day not in the future, a period of at most 62 days, valid policy rules) live in the
services, whose errors land on the form's fields (apply_errors)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput
from lachan.geo.models import AdminLevel

from ..errors import RulesInvalid
from ..models import RiskInputKind, RiskLevel

LEVEL_FILTERS = [("", _("any")), *[(str(v), label) for v, label in RiskLevel.choices], ("0", _("not assessed"))]


class LevelsFilterForm(forms.Form):
    """The levels page's filters (GET). Unknown values are dropped, not refused: a stale link still shows a list."""

    on = DayField(label=_("Day"), required=False, widget=DateInput())
    admin_level = forms.TypedChoiceField(label=_("Administrative level"), required=False, coerce=int,
                                         empty_value=None, choices=[("", _("any")), *AdminLevel.choices])
    within = forms.ChoiceField(label=_("Within"), required=False, error_messages={
        "invalid_choice": _("No unit with code %(value)s in your jurisdiction.")})
    level = forms.TypedChoiceField(label=_("Risk level"), required=False, coerce=int, empty_value=None,
                                   choices=LEVEL_FILTERS)
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Mỹ Tho")}))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].choices = [("", _("the whole jurisdiction")),
                                         *[(u.code, f"{'— ' * max(0, u.level - 1)}{u.name}") for u in units]]


class ComputeForm(forms.Form):
    on = DayField(label=_("Day to assess"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["on"].initial = timezone.localdate() - timedelta(days=1)


class OverrideForm(forms.Form):
    assessment = forms.ChoiceField(label=_("Day"))
    level = forms.CharField(label=_("Level that applies"), widget=forms.Select(choices=RiskLevel.choices))
    reason = forms.CharField(label=_("Reason (required, kept in the audit trail)"), required=False, max_length=600,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. market cluster of unknown source")}))

    def __init__(self, *args, days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = days


class ClearForm(forms.Form):
    assessment = forms.ChoiceField(label=_("Overridden day"))
    reason = forms.CharField(label=_("Reason for going back to the computed level"), required=False,
                             max_length=600)

    def __init__(self, *args, days, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = days


class InputForm(forms.Form):
    kind = forms.ChoiceField(label=_("Input"), choices=RiskInputKind.choices)
    value = forms.CharField(label=_("Value (percentage of the group; capacity: 1 met, 0 not met)"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    as_of = DayField(label=_("As of"), widget=DateInput())
    note = forms.CharField(label=_("Source or note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["as_of"].initial = timezone.localdate()


class RulesField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=_("Rules (JSON)"), max_length=20_000, strip=True, error_messages={
            "required": _("Write the rules (JSON).")}, widget=forms.Textarea(attrs={
                "rows": 24, "spellcheck": "false", "class": "risk-json", "autocomplete": "off", "translate": "no"}), **kwargs)


class TrialForm(forms.Form):
    rules = RulesField()
    start = DayField(label=_("First day of the period"), widget=DateInput())
    end = DayField(label=_("Last day of the period (at most 62 days)"), widget=DateInput())


class AdoptForm(forms.Form):
    rules = forms.CharField(widget=forms.HiddenInput, max_length=20_000, required=False)
    version = forms.CharField(label=_("Name of the version"), max_length=80, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. Tiền Giang 06/2022")}))
    valid_from = DayField(label=_("In force from"), widget=DateInput(),
                                 error_messages={"required": _("Enter the first day of the new version.")})
    source = forms.CharField(label=_("Legal source"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. Decision 1234/QĐ-UBND of the "
                                                                            "provincial People's Committee")}))


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: on their field when the form has it, else on the form. Every problem of
    invalid rules is listed."""
    if isinstance(exc, RulesInvalid):
        errors = [(exc.field, p) for p in exc.problems]
    elif isinstance(exc, ValidationFailed):
        errors = [(e.field, str(e.message)) for e in exc.errors]
    else:
        errors = [(exc.field, str(exc.message))]
    for field, message in errors:
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        form.add_error(target, message)
