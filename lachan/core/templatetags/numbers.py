from django import template

from lachan.core.numbers import number_text

register = template.Library()


@register.filter
def number(value, decimals=None):
    """{{ 38.6|number }} → "38,6" in Vietnamese; {{ x|number:1 }} with one decimal place."""
    return number_text(value, None if decimals in (None, "") else int(decimals))
