from datetime import date, datetime

import pytest
from django import forms
from django.utils import timezone, translation

from lachan.core.dates import instant_parse
from lachan.core.forms import DayField
from lachan.core.widgets import DateInput, DateTimeInput


class _Form(forms.Form):
    day = DayField(widget=DateInput())
    at = forms.DateTimeField(widget=DateTimeInput(), required=False)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_day_is_shown_and_read_day_first_in_every_language(language):
    """Issue 12 item 23: the browser's own date field showed mm/dd/yyyy in an English browser."""
    with translation.override(language):
        html = str(_Form(initial={"day": date(2026, 12, 7)})["day"])
        assert 'type="text"' in html and 'value="07/12/2026"' in html and 'placeholder="dd/mm/yyyy"' in html
        assert 'data-date="date"' in html and 'inputmode="numeric"' in html
        for typed in ("07/12/2026", "7/12/2026", "2026-12-07"):
            bound = _Form(data={"day": typed})
            assert bound.is_valid(), bound.errors
            assert bound.cleaned_data["day"] == date(2026, 12, 7), typed
        assert not _Form(data={"day": "12/31/2026"}).is_valid()  # never month first


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_moment_is_shown_and_read_day_first_with_24_hours(language):
    with translation.override(language):
        moment = timezone.make_aware(datetime(2026, 12, 7, 18, 30))
        html = str(_Form(initial={"at": moment})["at"])
        assert 'value="07/12/2026 18:30"' in html and 'data-date="datetime"' in html
        for typed in ("07/12/2026 18:30", "2026-12-07T18:30"):
            bound = _Form(data={"day": "07/12/2026", "at": typed})
            assert bound.is_valid(), bound.errors
            assert bound.cleaned_data["at"] == moment, typed


def test_instant_parse_reads_what_the_field_shows_and_iso():
    moment = timezone.make_aware(datetime(2026, 12, 7, 8, 5))
    for typed in ("07/12/2026 08:05", " 7/12/2026  8:05 ", "2026-12-07T08:05", "2026-12-07T01:05:00+00:00"):
        assert instant_parse(typed) == moment, typed
    for bad in ("", "12/31/2026 08:00", "07/12/2026", "0001-01-01T00:00", "abc"):
        assert instant_parse(bad) is None, bad


def test_the_template_tag_draws_the_same_field():
    from django.template import Context, Template

    html = Template('{% load date_inputs %}{% date_input "on" day required=True %}'
                    '{% date_input "at" "" kind="datetime" data_testid="x" %}').render(Context({"day": date(2026, 12, 7)}))
    assert 'name="on"' in html and 'value="07/12/2026"' in html and "required" in html
    assert 'name="at"' in html and 'data-testid="x"' in html and "dd/mm/yyyy hh:mm" in html


def test_long_select_draws_what_django_select_draws():
    """A province's 547 communes drawn in Python: the same options, selection and escaping as forms.Select."""
    import re

    from lachan.core.widgets import LongSelect, SearchableSelect

    choices = [("", "tất cả"), (1, "Phường 1, TP. Mỹ Tho"), (2, 'A & "B" <c>'), ("Nhóm", [(3, "x"), (4, "y")])]

    def canonical(html):  # attributes in order, whitespace between tags ignored
        html = re.sub(r">\s+<", "><", html)
        return re.sub(r"<select ([^>]*)>", lambda m: "<select " + " ".join(sorted(m.group(1).split())) + ">", html)

    for value in (None, 2, 4):
        expected = forms.Select(choices=choices, attrs={"data-x": "y"}).render("commune", value, attrs={"id": "i"})
        drawn = LongSelect(choices=choices, attrs={"data-x": "y"}).render("commune", value, attrs={"id": "i"})
        assert canonical(drawn) == canonical(expected)
    html = SearchableSelect(choices=choices, placeholder="Gõ tên").render("commune", 2)
    assert 'data-searchable="Gõ tên"' in html and '<option value="2" selected>A &amp; &quot;B&quot; &lt;c&gt;</option>' in html
