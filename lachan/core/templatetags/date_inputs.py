"""A day or a moment typed in a form written by hand in a template: the same field as lachan.core.widgets'
DateInput and DateTimeInput (dd/mm/yyyy, HH:MM, a calendar button), never the browser's own <input type=date>."""

from django import template

from lachan.core.widgets import DateInput, DateTimeInput

register = template.Library()


@register.simple_tag
def date_input(name, value="", kind="date", **attrs):
    """{% date_input "onset_date" data.onset_date required=True %}; kind="datetime" for a day and a time."""
    attrs = {key.replace("_", "-"): val for key, val in attrs.items() if val not in (None, False)}
    attrs.setdefault("id", f"id_{name}")
    widget = DateTimeInput(attrs) if kind == "datetime" else DateInput(attrs)
    return widget.render(name, value or None)
