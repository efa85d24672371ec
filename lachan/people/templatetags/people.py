from django import template

from lachan.people.models import Person

register = template.Library()


@register.simple_tag
def field_label(name: str) -> str:
    return str(Person._meta.get_field(name).verbose_name).capitalize()


@register.simple_tag
def field_value(person: Person, name: str) -> str:
    field = Person._meta.get_field(name)
    if field.choices:
        return getattr(person, f"get_{name}_display")()
    value = getattr(person, name)
    if value in (None, ""):
        return "—"
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y %H:%M" if name == "created_at" else "%d/%m/%Y")
    return str(value)
