"""Form widgets shared by every domain."""

from django import forms
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


class SearchableSelect(forms.Select):
    """A select whose option is found by typing part of its text, with or without diacritics ("phuong 1 my tho"
    finds "Phường 1, TP. Mỹ Tho"): web/app.js puts a search box before it (data-searchable). Without script it is a
    plain select; nothing is fetched from elsewhere."""

    def __init__(self, attrs=None, choices=(), placeholder=""):  # a lazy text is translated when drawn
        attrs = {**(attrs or {}), "data-searchable": placeholder or "…"}
        super().__init__(attrs=attrs, choices=choices)
