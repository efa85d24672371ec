"""Order and facility forms; the rules live in services (these only parse what the browser sends)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit

from ..models import Immunity, OrderKind, Setting


def room_choices(uses) -> list[tuple[str, str]]:
    """"Facility · room (free/beds)" for each room of the facilities given (facilities.FacilityUse)."""
    choices = []
    for use in uses:
        for room in use.rooms:
            label = _("%(facility)s · room %(room)s (%(free)d of %(beds)d beds free)") % {
                "facility": use.facility.place.name, "room": room.room.name, "free": room.free, "beds": room.beds}
            choices.append((str(room.room.pk), label))
    return choices


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrderKind.choices)
    setting = forms.ChoiceField(label=_("Where"), choices=Setting.choices, initial=Setting.HOME)
    starts_on = DayField(label=_("First day"), widget=DateInput())
    exposed_on = DayField(label=_("Last exposure (contacts)"), widget=DateInput(), required=False)
    immunity = forms.ChoiceField(label=_("Vaccination / recovery"), choices=Immunity.choices, initial=Immunity.UNKNOWN)
    ends_on = DayField(label=_("Last day (empty: from the policy)"), widget=DateInput(), required=False)
    commune = UnitChoiceField(label=_("Commune of the home"), queryset=AdminUnit.objects.none(), required=False,
                        empty_label=_("the person's"))
    address = forms.CharField(label=_("Address (empty: the person's, or the facility's)"), max_length=300,
                              required=False)
    room = forms.ChoiceField(label=_("Facility and room"), required=False)
    latitude = forms.FloatField(label=_("Latitude of the home"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude of the home"), required=False, min_value=-180, max_value=180)

    def __init__(self, *args, communes, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        self.fields["room"].choices = [("", "—"), *rooms]
        if not self.is_bound and "starts_on" not in self.initial:
            self.fields["starts_on"].initial = timezone.localdate()
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update(step="any", inputmode="decimal")


class ExtendForm(forms.Form):
    ends_on = DayField(label=_("New last day"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300)


class MoveForm(forms.Form):
    setting = forms.ChoiceField(label=_("Where"), choices=Setting.choices)
    room = forms.ChoiceField(label=_("Facility and room"), required=False)
    commune = UnitChoiceField(label=_("Commune of the home"), queryset=AdminUnit.objects.none(), required=False,
                        empty_label=_("the person's"))
    address = forms.CharField(label=_("Address (empty: the person's, or the facility's)"), max_length=300,
                              required=False)
    latitude = forms.FloatField(label=_("Latitude of the home"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude of the home"), required=False, min_value=-180, max_value=180)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, communes, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        self.fields["room"].choices = [("", "—"), *rooms]


class EndForm(forms.Form):
    reason = forms.CharField(label=_("Reason for ending early"), max_length=300,
                             widget=forms.TextInput(attrs={"list": "end-reasons"}))


END_REASONS = (
    _("Confirmed as a case (isolated under a new order)"), _("Not a contact after all"),
    _("Moved to another province"), _("Admitted to hospital"), _("Order made in error"),
)


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    commune = UnitChoiceField(label=_("Commune"), queryset=AdminUnit.objects.none(), empty_label="—")
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=15, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    for_isolation = forms.BooleanField(label=_("Takes cases (isolation) instead of contacts"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        if not self.is_bound and communes.count() == 1:
            self.fields["commune"].initial = communes.first()


class FacilityEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=15, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    for_isolation = forms.BooleanField(label=_("Takes cases (isolation) instead of contacts"), required=False)
    is_active = forms.BooleanField(label=_("Takes people"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Room"), max_length=50)
    beds = forms.IntegerField(label=_("Beds"), min_value=1, max_value=500)


def apply_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's errors onto the form: on their field when the form has it, else on the form."""
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        field = "room" if err.field == "facility" and "room" in form.fields else err.field
        form.add_error(field if field in form.fields else None, str(err.message))


class IsolateForm(forms.Form):
    """A case's isolation order (lachan.workflows.quarantine_orders.case_isolate)."""

    setting = forms.ChoiceField(label=_("Where"), choices=Setting.choices, initial=Setting.HOME)
    room = forms.ChoiceField(label=_("Facility and room"), required=False)
    starts_on = DayField(label=_("First day (empty: the day of isolation)"), widget=DateInput(), required=False)
    immunity = forms.ChoiceField(label=_("Vaccination / recovery"), choices=Immunity.choices, initial=Immunity.UNKNOWN)
    address = forms.CharField(label=_("Address (empty: the person's, or the facility's)"), max_length=300,
                              required=False)

    def __init__(self, *args, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", "—"), *rooms]


class ContactsForm(forms.Form):
    starts_on = DayField(label=_("First day of the orders"), widget=DateInput(), required=False)
