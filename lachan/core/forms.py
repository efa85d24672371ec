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


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """A model choice field's options read in one query. Django's iterates queryset.iterator(), which on
    PostgreSQL declares a server-side cursor WITH HOLD and fetches it in chunks: three round trips and a result
    materialised at commit for a few hundred options (a province's 547 communes), on every page that draws them.
    The same options, in the same order.

    A field with `option_fields` (and `label_from_values(row)`, which must name an option as label_from_instance
    does) has its options read as those values, without building a model instance per option (a province's
    communes and their districts: 1,100 instances, the most of a chain page's)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        fields = getattr(self.field, "option_fields", None)
        if fields and not self.field.to_field_name:
            for pk, *row in self.queryset.values_list("pk", *fields):
                yield forms.models.ModelChoiceIteratorValue(pk, None), self.field.label_from_values(row)
            return
        for obj in self.queryset.all():
            yield self.choice(obj)
