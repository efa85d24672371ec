"""The one way a form picks an administrative unit: named without ambiguity (AdminUnit.label: "Phường 1, TP. Mỹ
Tho") and found by typing, with or without diacritics (lachan.core.widgets.SearchableSelect)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import ListedChoiceIterator
from lachan.core.widgets import SearchableSelect

from .models import AdminUnit, unit_label_fields, unit_label_of


class UnitSelect(SearchableSelect):
    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs=attrs, choices=choices, placeholder=_("Type the name to find it"))  # lazy: the reader's language


class UnitChoiceField(forms.ModelChoiceField):
    """A unit of a queryset (select its parent with it: .select_related("parent"))."""

    widget = UnitSelect
    iterator = ListedChoiceIterator
    option_fields = unit_label_fields()

    def label_from_instance(self, obj: AdminUnit) -> str:
        return obj.label

    def label_from_values(self, row) -> str:
        return unit_label_of(row)


def unit_choices(units: Iterable[AdminUnit], *, empty: str = "—") -> list[tuple[str, str]]:
    """(code, label) of each unit, for a ChoiceField keyed by the official code."""
    return [("", empty), *[(unit.code, unit.label) for unit in units]]
