"""Form widgets shared by every domain."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (yyyy-mm-dd) whatever the page's language: a
    Vietnamese dd/mm/yyyy value would show an empty field when editing."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
