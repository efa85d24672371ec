from datetime import date

from django import forms
from django.utils import translation

from lachan.core.widgets import DateInput


class _Form(forms.Form):
    day = forms.DateField(widget=DateInput())


def test_date_input_value_is_iso_in_vietnamese():
    with translation.override("vi"):
        html = str(_Form(initial={"day": date(2021, 8, 10)})["day"])
        assert 'type="date"' in html and 'value="2021-08-10"' in html
        bound = _Form(data={"day": "2021-08-10"})
        assert bound.is_valid() and bound.cleaned_data["day"] == date(2021, 8, 10)
