"""Form widgets shared by every domain."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (yyyy-mm-dd) whatever the page's language: a
    Vietnamese dd/mm/yyyy value would show an empty field when editing."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class SearchableSelect(forms.Select):
    """A select whose option is found by typing part of its text, with or without diacritics ("phuong 1 my tho"
    finds "Phường 1, TP. Mỹ Tho"): web/app.js puts a search box before it (data-searchable). Without script it is a
    plain select; nothing is fetched from elsewhere."""

    def __init__(self, attrs=None, choices=(), placeholder=""):  # a lazy text is translated when drawn
        attrs = {**(attrs or {}), "data-searchable": placeholder or "…"}
        super().__init__(attrs=attrs, choices=choices)
