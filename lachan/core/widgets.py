"""Form widgets shared by every domain."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    """A day typed as dd/mm/yyyy whatever the browser's language (Chromium's own date field follows the browser's
    interface language, mm/dd/yyyy in an English one, which a page cannot change). web/app.js adds a calendar
    button beside it (data-date): a hidden native picker (showPicker) whose choice is written back as dd/mm/yyyy.
    The server reads dd/mm/yyyy and ISO (DayField, the formats in lachan/formats); the API keeps ISO."""

    input_type = "text"
    format_value_as = "%d/%m/%Y"
    placeholder = "dd/mm/yyyy"
    pattern = r"\s*\d{1,2}/\d{1,2}/\d{4}\s*|\s*\d{4}-\d{2}-\d{2}\s*"
    kind = "date"

    def __init__(self, attrs=None):
        attrs = {"inputmode": "numeric", "placeholder": self.placeholder, "pattern": self.pattern,
                 "autocomplete": "off", "data-date": self.kind, "size": len(self.placeholder) + 1,
                 "data-date-label": _("Choose on a calendar"), **(attrs or {})}
        super().__init__(attrs=attrs, format=self.format_value_as)


class DateTimeInput(forms.DateTimeInput):
    """A moment typed as dd/mm/yyyy HH:MM (24 h), with the same calendar button as DateInput."""

    input_type = "text"

    def __init__(self, attrs=None):
        attrs = {"inputmode": "numeric", "placeholder": "dd/mm/yyyy hh:mm", "autocomplete": "off",
                 "pattern": r"\s*\d{1,2}/\d{1,2}/\d{4}[ T]+\d{1,2}:\d{2}\s*|\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}\s*",
                 "data-date": "datetime", "size": 17, "data-date-label": _("Choose on a calendar"), **(attrs or {})}
        super().__init__(attrs=attrs, format="%d/%m/%Y %H:%M")


class LongSelect(forms.Select):
    """A select of hundreds of options (a province's 547 communes, its clusters), drawn in Python: Django's
    templates draw each option through two includes, about 0.5 ms an option (a quarter of a second for a province's
    communes). The same HTML as forms.Select."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts += [f'<option value="{escape(option["value"])}"{flatatt(option["attrs"]) if option["attrs"] else ""}>'
                      f'{escape(option["label"])}</option>' for option in options]
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # noqa: S308  (every value and label escaped)


class SearchableSelect(LongSelect):
    """A select whose option is found by typing part of its text, with or without diacritics ("phuong 1 my tho"
    finds "Phường 1, TP. Mỹ Tho"): web/app.js puts a search box before it (data-searchable). Without script it is a
    plain select; nothing is fetched from elsewhere."""

    def __init__(self, attrs=None, choices=(), placeholder=""):  # a lazy text is translated when drawn
        attrs = {**(attrs or {}), "data-searchable": placeholder or "…"}
        super().__init__(attrs=attrs, choices=choices)
