"""The drafting form of any kind of policy, generated from the schema its domain registers (core.policies
PolicyField): one input per rule, named by its path ("quarantine.none.days"), with its label, unit, bounds and
explanation; and the rules read back from the posted form, each field's mistakes beside it. Decimals are written
and read with the reader's decimal separator (1,5 in Vietnamese; a point is accepted too)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

from lachan.core.policies import PolicyField

_INTEGER = re.compile(r"^[+-]?[0-9]{1,9}$")  # ASCII digits only: '²'.isdigit() is true
_DECIMAL = re.compile(r"^[+-]?[0-9]{1,9}(?:[.,][0-9]{1,6})?$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:hH.]([0-5][0-9])$")
NULL_SUFFIX = "__none"


def decimal_text(value: Any) -> str:
    """A number as the reader writes it: 1,5 (vi) or 1.5 (en); whole numbers without decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


def _grouped(value: Any) -> str:
    """A bound as read (10.000.000 in Vietnamese); inputs are written without grouping."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return number_format(value, force_grouping=True)
    return decimal_text(value)


def _bounds_text(spec: PolicyField) -> str:
    if spec.low is None and spec.high is None:
        return ""
    return _("from %(low)s to %(high)s") % {"low": _grouped(spec.low), "high": _grouped(spec.high)}


@dataclass
class Row:
    """One field of the form (or of a version's description)."""

    spec: PolicyField
    name: str
    value: str = ""
    checked: bool = False
    is_null: bool = False
    error: str = ""
    children: list[Row] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # mapping: key, label, name, value, error
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    text: str = ""  # the value as read on a version's page
    list_rows: list[list[Row]] = field(default_factory=list)  # a list: one row of fields per item (+ blank ones)

    @property
    def count_name(self) -> str:
        return self.name + ".rows"

    @property
    def bounds(self) -> str:
        return _bounds_text(self.spec)

    @property
    def null_name(self) -> str:
        return self.name + NULL_SUFFIX


def _input_text(spec: PolicyField, value: Any) -> str:
    if value is None:
        return ""
    if spec.type == "decimal":
        return decimal_text(value)
    if spec.type == "days":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


BLANK_ITEMS = 2  # empty rows offered under a list's items, to add some
MAX_ITEMS = 50


def _posted_list(posted, name: str) -> list[str]:
    getlist = getattr(posted, "getlist", None)
    if getlist is not None:
        return [str(v) for v in getlist(name)]
    value = posted.get(name)
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else ([] if value is None else [str(value)])


def _count(posted, name: str) -> int:
    text = str(posted.get(name + ".rows", "0")).strip()
    return min(int(text), MAX_ITEMS + BLANK_ITEMS) if _INTEGER.match(text) and int(text) > 0 else 0


def form_rows(fields: tuple[PolicyField, ...], rules: dict[str, Any] | None, *, posted=None,
              errors: dict[str, str] | None = None, prefix: str = "") -> list[Row]:
    """The rows of the form: filled from `rules` (a version's), or from what was `posted` when shown again."""
    rules = rules if isinstance(rules, dict) else {}
    errors = errors or {}
    rows = []
    for spec in fields:
        name = f"{prefix}{spec.key}"
        value = rules.get(spec.key, spec.default)  # a rule the version lacks: the default that applies to it
        row = Row(spec=spec, name=name, error=errors.get(name, ""))
        if spec.type == "list":
            items = value if isinstance(value, list) else []
            count = _count(posted, name) if posted is not None else len(items) + BLANK_ITEMS
            for i in range(count):
                item = items[i] if posted is None and i < len(items) and isinstance(items[i], dict) else {}
                row.list_rows.append(form_rows(spec.fields, item, posted=posted, errors=errors,
                                               prefix=f"{name}.{i}."))
        elif spec.type == "choices":
            chosen = set(_posted_list(posted, name)) if posted is not None else {
                str(v) for v in (value if isinstance(value, list) else [])}
            row.choices = [(str(v), str(label), str(v) in chosen) for v, label in spec.choices]
        elif spec.type == "group":
            row.is_null = bool(posted.get(row.null_name)) if posted is not None else (
                spec.nullable and spec.key in rules and value is None)
            row.children = form_rows(spec.fields, value if isinstance(value, dict) else {}, posted=posted,
                                     errors=errors, prefix=name + ".")
        elif spec.type == "boolean":
            row.checked = bool(posted.get(name)) if posted is not None else bool(value)
        elif spec.type == "mapping":
            value = value if isinstance(value, dict) else {}
            for key, label in spec.choices:
                item_name = f"{name}.{key}"
                row.items.append({"key": key, "label": str(label), "name": item_name,
                                  "value": posted.get(item_name, "") if posted is not None
                                  else _input_text(spec, value.get(key)),
                                  "error": errors.get(item_name, "")})
        else:
            row.value = posted.get(name, "") if posted is not None else _input_text(spec, value)
            if spec.type == "choice":
                row.choices = [(str(v), str(label), str(v) == row.value) for v, label in spec.choices]
        rows.append(row)
    return rows


def _number(spec: PolicyField, text: str, errors: dict[str, str], name: str, *, integer: bool):
    text = text.strip().replace(" ", "")
    pattern = _INTEGER if integer else _DECIMAL
    if not pattern.match(text):
        errors[name] = _("Enter a whole number.") if integer else _("Enter a number (e.g. 1,5).")
        return None
    value: float | int = int(text) if integer else float(text.replace(",", "."))
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        errors[name] = _("Enter a number %(bounds)s.") % {"bounds": _bounds_text(spec)}
        return None
    return value


def _days(spec: PolicyField, text: str, errors: dict[str, str], name: str):
    parts = [p for p in re.split(r"[,;\s]+", text.strip()) if p]
    if not all(_INTEGER.match(p) for p in parts):
        errors[name] = _("Enter whole days separated by commas, e.g. 1, 7, 14.")
        return None
    days = [int(p) for p in parts]
    if any((spec.low is not None and d < spec.low) or (spec.high is not None and d > spec.high) for d in days):
        errors[name] = _("Each day must be %(bounds)s.") % {"bounds": _bounds_text(spec)}
        return None
    if len(set(days)) != len(days):
        errors[name] = _("A day is given twice.")
        return None
    return sorted(days)


_KEEP = object()  # a reader's answer: the rule stays as the base has it
_DROP = object()  # a reader's answer: the rule is removed (its default applies)


def _read_list(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    items = []
    for i in range(_count(posted, name)):
        item_prefix = f"{name}.{i}."
        typed = {item_prefix + f.key for f in spec.fields if f.type not in ("choice", "boolean")}
        if not any(str(posted.get(k, "")).strip() for k in typed):
            continue  # a blank row (its selects always send an option)
        item, item_errors = rules_from_post(spec.fields, posted, {}, prefix=item_prefix)
        items.append(item)
        errors.update(item_errors)
    if len(items) > MAX_ITEMS:
        errors[name] = _("At most %(n)d rows.") % {"n": MAX_ITEMS}
    return items


def _read_choices(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> list[str]:
    known = {str(v) for v, _label in spec.choices}
    chosen = _posted_list(posted, name)
    if any(v not in known for v in chosen):
        errors[name] = _("Choose among the options.")
    return [str(v) for v, _label in spec.choices if str(v) in chosen]


def _read_group(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> dict[str, Any] | None:
    if spec.nullable and posted.get(name + NULL_SUFFIX):
        return None
    inner, inner_errors = rules_from_post(spec.fields, posted, current or {}, prefix=name + ".")
    errors.update(inner_errors)
    return inner


def _read_boolean(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> bool:
    return bool(posted.get(name))


def _read_mapping(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> Any:
    mapping = {}
    for key, _label in spec.choices:
        text = str(posted.get(f"{name}.{key}", "")).strip()
        if text:
            value = _number(spec, text, errors, f"{name}.{key}", integer=True)
            if value is not None:
                mapping[key] = value
    return mapping if mapping or not spec.optional else _DROP  # nothing given: the default applies


def _time(spec: PolicyField, text: str, errors: dict[str, str], name: str) -> str | None:
    match = _TIME.match(text)
    if not match:
        errors[name] = _("Enter a time of day, e.g. 20:00.")
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def _choice(spec: PolicyField, text: str, errors: dict[str, str], name: str) -> str | None:
    if text not in {str(v) for v, _label in spec.choices}:
        errors[name] = _("Choose one of the options.")
        return None
    return text


_TEXT_PARSERS = {
    "integer": lambda spec, text, errors, name: _number(spec, text, errors, name, integer=True),
    "decimal": lambda spec, text, errors, name: _number(spec, text, errors, name, integer=False),
    "days": _days,
    "time": _time,
    "choice": _choice,
}


def _read_text(spec: PolicyField, posted, name: str, current: Any, errors: dict[str, str]) -> Any:
    """A rule typed in one input: blank (null, no day, the default, or a mistake), else parsed by its type; a
    mistake keeps the base's rule. A type no form drafts yet is kept as it was."""
    text = str(posted.get(name, "")).strip()
    if not text:
        if spec.blank_is_null:
            return None
        if spec.type == "days":
            return []  # no day: e.g. no test
        if spec.optional:
            return _DROP
        errors[name] = _("Enter a value.")
        return _KEEP
    parse = _TEXT_PARSERS.get(spec.type)
    value = parse(spec, text, errors, name) if parse else None
    return _KEEP if value is None else value


_READERS = {"list": _read_list, "choices": _read_choices, "group": _read_group, "boolean": _read_boolean,
            "mapping": _read_mapping}


def _drop_inapplicable(fields: tuple[PolicyField, ...], rules: dict[str, Any], errors: dict[str, str],
                       prefix: str) -> None:
    """Rules that exist only for some values of a sibling (the bands of matrix methods…) go, with their mistakes."""
    for spec in fields:
        if spec.when and str(rules.get(spec.when[0])) not in spec.when[1]:
            rules.pop(spec.key, None)
            name = f"{prefix}{spec.key}"
            for key in [k for k in errors if k == name or k.startswith(name + ".")]:
                del errors[key]


def rules_from_post(fields: tuple[PolicyField, ...], posted, base: dict[str, Any] | None = None, *,
                    prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """The rules a posted form gives, over `base` (the version drafted from: rules the schema does not know are
    kept as they are), and the mistakes by field name."""
    rules: dict[str, Any] = dict(base) if isinstance(base, dict) else {}
    errors: dict[str, str] = {}
    for spec in fields:
        read = _READERS.get(spec.type, _read_text)
        value = read(spec, posted, f"{prefix}{spec.key}", rules.get(spec.key), errors)
        if value is _DROP:
            rules.pop(spec.key, None)
        elif value is not _KEEP:
            rules[spec.key] = value
    _drop_inapplicable(fields, rules, errors, prefix)
    return rules, errors


def describe(fields: tuple[PolicyField, ...], rules: dict[str, Any] | None, *, prefix: str = "") -> list[Row]:
    """A version's rules for reading: each field's label, its value in words with the unit, its explanation."""
    rules = rules if isinstance(rules, dict) else {}
    rows = []
    for spec in fields:
        if spec.when and str(rules.get(spec.when[0])) not in spec.when[1]:
            continue
        name = f"{prefix}{spec.key}"
        value = rules.get(spec.key)
        row = Row(spec=spec, name=name)
        unit = f" {spec.unit}" if spec.unit else ""
        if spec.type == "list" and spec.key in rules:
            for item in value if isinstance(value, list) else []:
                parts = describe(spec.fields, item)
                row.items.append({"label": "", "value": "; ".join(
                    f"{p.spec.label}: {p.text}" for p in parts if p.spec.key in (item or {}))})
            row.text = "" if row.items else _("none")
        elif spec.type == "choices" and spec.key in rules:
            labels = dict(spec.choices)
            row.text = ", ".join(str(labels.get(v, v)) for v in value or []) or _("none")
        elif spec.type == "group":
            if value is None:
                row.is_null = True
                row.text = str(spec.null_label) if spec.nullable and spec.key in rules else _("not given")
            else:
                row.children = describe(spec.fields, value, prefix=name + ".")
        elif spec.key not in rules:
            row.text = _("not given (the default applies)")
        elif value is None and spec.blank_is_null:
            row.text = str(spec.null_label) or "—"
        elif spec.type == "boolean":
            row.text = _("yes") if value else _("no")
        elif spec.type == "mapping":
            labels = dict(spec.choices)
            row.items = [{"label": str(labels.get(k, k)), "value": f"{decimal_text(v)}{unit}"}
                         for k, v in (value or {}).items()]
            row.text = "" if row.items else _("none")
        elif spec.type == "choice":
            row.text = str(dict(spec.choices).get(value, value))
        elif spec.type == "days":
            row.text = ", ".join(str(d) for d in value) if value else _("none")
        elif spec.type in ("integer", "decimal"):
            row.text = f"{decimal_text(value)}{unit}"
        else:
            row.text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        rows.append(row)
    return rows


def unknown_rules(fields: tuple[PolicyField, ...], rules: dict[str, Any] | None) -> str:
    """The rules a schema does not describe (or all of them without a schema), as indented JSON."""
    rules = rules if isinstance(rules, dict) else {}
    known = {spec.key for spec in fields}
    rest = {k: v for k, v in rules.items() if k not in known}
    return json.dumps(rest, ensure_ascii=False, indent=2) if rest else ""


def with_defaults(fields: tuple[PolicyField, ...], rules: dict[str, Any] | None) -> dict[str, Any]:
    """A version's rules with the defaults that apply to the rules it lacks (what it really says)."""
    rules = rules if isinstance(rules, dict) else {}
    return {**{f.key: f.default for f in fields if f.default is not None and f.key not in rules}, **rules}
