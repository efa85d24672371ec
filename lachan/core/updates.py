"""The one way a service updates a record (HackSoft's model_update): set the fields whose value differs, save
only those columns (and the "changed by/at" stamps), say which changed. Validation and auditing stay in the
service: `changed = model_update(site, cleaned, changed_by=user)`, then `audit_record(..., detail={"fields":
changed})` when `changed`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models


def model_update(instance: models.Model, data: Mapping[str, Any], *, changed_by=None) -> list[str]:
    """Write the fields of `data` whose value differs from the instance's; return their names, sorted ([] when
    nothing changed: nothing is written, the "changed at" stamp does not move). `changed_by` (a user) is stamped
    when the model has a changed_by field and something changed. A name that is not a field of the model is a
    programming error (ValueError)."""
    fields = {field.name: field for field in instance._meta.concrete_fields}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{type(instance).__name__} has no field {', '.join(unknown)}")
    changed = sorted(name for name, value in data.items() if _differs(instance, fields[name], value))
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, data[name])
    stamps = []
    if changed_by is not None and "changed_by" in fields:
        instance.changed_by = changed_by
        stamps.append("changed_by")
    # An auto_now field is set by save() only when it is listed in update_fields.
    stamps += [name for name, field in fields.items() if getattr(field, "auto_now", False) and name not in changed]
    instance.save(update_fields=[*changed, *(s for s in stamps if s not in changed)])
    return changed


def _differs(instance: models.Model, field: models.Field, value: Any) -> bool:
    if field.many_to_one or field.one_to_one:  # compare keys: reading the related row would cost a query
        key = value.pk if isinstance(value, models.Model) else value
        return getattr(instance, field.attname) != key
    return getattr(instance, field.name) != value
