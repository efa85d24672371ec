from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import DayField
from lachan.core.widgets import DateInput

from .models import ChannelKind, MessageStatus


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("any"))] + MessageStatus.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("any"))] + ChannelKind.choices)
    date_from = DayField(label=_("From"), required=False, widget=DateInput())
    date_to = DayField(label=_("To"), required=False, widget=DateInput())
    to = forms.CharField(label=_("Recipient"), required=False, max_length=254)
    template = forms.CharField(label=_("Template"), required=False, max_length=64)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
