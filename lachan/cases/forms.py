"""Cluster forms; the rules live in services (these only parse what the browser sends)."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit
from lachan.people.selectors import communes_in_scope

from .models import ClusterKind


def _communes(user, current: AdminUnit | None = None):
    """The communes of the user's jurisdiction, and the cluster's own even if it lies outside."""
    where = Q(pk__in=communes_in_scope(user=user).values("pk"))
    if current is not None:
        where |= Q(pk=current.pk)
    return AdminUnit.objects.filter(where).select_related("parent").order_by("path")


class ClusterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ClusterKind.choices)
    commune = UnitChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none(), empty_label="—")
    source_description = forms.CharField(label=_("Common source"), required=False, max_length=2000,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    opened_on = DayField(label=_("Opened on"), widget=DateInput())

    def __init__(self, *args, user, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = _communes(user, cluster.commune if cluster else None)
        if cluster is not None:  # editing: the opening day is not changed here
            del self.fields["opened_on"]
        else:
            self.fields["opened_on"].initial = timezone.localdate()


class ClusterCloseForm(forms.Form):
    closed_on = DayField(label=_("Closed on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()


class ClusterReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), max_length=300)


class ClusterCasesForm(forms.Form):
    codes = forms.CharField(label=_("Case codes (several: one per line, or separated by spaces or commas)"),
                            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "F0-82-000001, F0-82-000002"}))
    move = forms.BooleanField(label=_("Also move cases that are in another cluster"), required=False)


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: on their field when the form has it, else on the form."""
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        form.add_error(err.field if err.field in form.fields else None, str(err.message))
