"""Form fields shared by every domain."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .dates import DAY_MAX, DAY_MIN


class DayField(forms.DateField):
    """A day typed in a form, within core.dates' bounds: 0001-01-01 or 9999-12-31 in a filter used to overflow into
    a server error once turned into a time (a day's start, the day after). Read as dd/mm/yyyy or ISO whatever the
    reader's language (never the American mm/dd/yyyy)."""

    input_formats = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]

    def validate(self, value):
        super().validate(value)
        if value and not DAY_MIN <= value <= DAY_MAX:
            raise ValidationError(_("Enter a day between %(first)s and %(last)s."), code="out_of_range", params={
                "first": date_format(DAY_MIN, "SHORT_DATE_FORMAT"), "last": date_format(DAY_MAX, "SHORT_DATE_FORMAT")})
