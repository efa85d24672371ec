"""Writes to people and households. Every write validates everything first, then saves in one transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_system, system_actor
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.text import fold, normalize_name, reverse_words
from lachan.core.updates import model_update
from lachan.geo.models import AdminLevel, AdminUnit

from .access import people_in_scope, require_perm
from .duplicates import duplicate_dismiss, duplicate_merge, duplicates_detect_for, person_merge
from .errors import PeopleErrorCode
from .identity import national_id_validate, phone_normalize
from .models import Household, Person, Sex
from .signals import person_commune_changed

__all__ = [
    "person_create", "person_update", "household_create", "person_merge", "duplicate_merge", "duplicate_dismiss",
]

EARLIEST_BIRTH = date(1900, 1, 1)
PERSON_FIELDS = (
    "full_name", "birth_date", "birth_year", "sex", "national_id", "phone", "phone_alt", "commune",
    "address_line", "household", "occupation",
)

_UNCHANGED = system_actor("people.field_unchanged")  # only for the scope check of a field left as it is


def commune_resolve(value: Any, *, by, errors: list[DomainError], field: str = "commune") -> AdminUnit | None:
    """A commune of the deployment's tree, inside the actor's jurisdiction (pk, official code or unit)."""
    unit = None
    if isinstance(value, AdminUnit):
        unit = value
    elif isinstance(value, int) or (isinstance(value, str) and value.strip()):
        lookup = {"pk": value} if isinstance(value, int) else {"code": value.strip()}
        unit = AdminUnit.objects.filter(**lookup, tree=settings.LACHAN_ADMIN_TREE).first()
    if unit is None or unit.level != AdminLevel.COMMUNE or unit.tree != settings.LACHAN_ADMIN_TREE:
        errors.append(DomainError(PeopleErrorCode.COMMUNE_UNKNOWN, _("Choose a commune of the province."), field=field))
        return None
    if not is_system(by):
        scope = scope_for(by)
        # Place-bound staff (an enterprise) register people who live anywhere; unit staff only their own.
        if scope.kind != "place" and not unit_in_scope(scope, unit):
            errors.append(DomainError(
                PeopleErrorCode.COMMUNE_OUT_OF_SCOPE,
                _("%(commune)s is outside your jurisdiction.") % {"commune": unit.label}, field=field,
            ))
            return None
    return unit


def _birth_date(value: Any, errors: list[DomainError]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors.append(DomainError(
                PeopleErrorCode.BIRTH_DATE_INVALID, _("%(value)s is not a valid date.") % {"value": value},
                field="birth_date",
            ))
            return None
    if not isinstance(value, date):
        errors.append(DomainError(PeopleErrorCode.BIRTH_DATE_INVALID, _("Not a valid date."), field="birth_date"))
        return None
    if value > timezone.localdate():
        errors.append(DomainError(
            PeopleErrorCode.BIRTH_DATE_FUTURE, _("The date of birth is in the future."), field="birth_date"
        ))
        return None
    if value < EARLIEST_BIRTH:
        errors.append(DomainError(
            PeopleErrorCode.BIRTH_DATE_TOO_EARLY, _("The date of birth is before 1900."), field="birth_date"
        ))
        return None
    return value


def _birth_year(value: Any, birth_date: date | None, errors: list[DomainError]) -> int | None:
    if value in (None, ""):
        return birth_date.year if birth_date else None
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = -1
    if not EARLIEST_BIRTH.year <= year <= timezone.localdate().year:
        errors.append(DomainError(
            PeopleErrorCode.BIRTH_YEAR_INVALID,
            _("The year of birth must be between 1900 and this year."), field="birth_year",
        ))
        return None
    if birth_date and birth_date.year != year:
        errors.append(DomainError(
            PeopleErrorCode.BIRTH_YEAR_MISMATCH,
            _("The year of birth does not match the date of birth."), field="birth_year",
        ))
        return None
    return year


def _phone(value: Any, field: str, errors: list[DomainError]) -> str:
    if not value or not str(value).strip():
        return ""
    try:
        return phone_normalize(str(value))
    except DomainError as exc:
        exc.field = field
        errors.append(exc)
        return ""


def _text(value: Any, field: str, limit: int, errors: list[DomainError]) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        errors.append(DomainError(
            "invalid", _("At most %(n)d characters.") % {"n": limit}, field=field
        ))
    return text


def _household(value: Any, *, by, errors: list[DomainError]) -> Household | None:
    if value in (None, ""):
        return None
    household = value if isinstance(value, Household) else Household.objects.filter(pk=value).first()
    if household is not None and not is_system(by):
        scope = scope_for(by)
        if scope.kind != "place" and not unit_in_scope(scope, household.commune):
            household = None
    if household is None:
        errors.append(DomainError(PeopleErrorCode.HOUSEHOLD_UNKNOWN, _("Unknown household."), field="household"))
    return household


def _clean_person(
    data: dict[str, Any], *, by, instance: Person | None, scoped: frozenset[str] = frozenset({"commune", "household"})
) -> dict[str, Any]:
    """Every field checked; all errors reported together as ValidationFailed."""
    errors: list[DomainError] = []
    full_name = normalize_name(data.get("full_name"))
    if not fold(full_name):
        errors.append(DomainError(PeopleErrorCode.NAME_REQUIRED, _("Enter the full name."), field="full_name"))
    elif len(full_name) > 150:
        errors.append(DomainError("invalid", _("At most %(n)d characters.") % {"n": 150}, field="full_name"))
    birth_date = _birth_date(data.get("birth_date"), errors)
    birth_year = _birth_year(data.get("birth_year"), birth_date, errors)
    sex = data.get("sex") or Sex.UNKNOWN
    if sex not in Sex.values:
        errors.append(DomainError(PeopleErrorCode.SEX_INVALID, _("Choose male, female or unknown."), field="sex"))
        sex = Sex.UNKNOWN
    national_id = ""
    if data.get("national_id") and str(data["national_id"]).strip():
        try:
            national_id = national_id_validate(str(data["national_id"]), birth_date=birth_date, birth_year=birth_year, sex=sex)
        except DomainError as exc:
            errors.append(exc)
    phone = _phone(data.get("phone"), "phone", errors)
    phone_alt = _phone(data.get("phone_alt"), "phone_alt", errors)
    if phone_alt == phone:
        phone_alt = ""
    # A field the change leaves as it is is not re-checked against the editor's jurisdiction.
    commune = commune_resolve(data.get("commune"), by=by if "commune" in scoped else _UNCHANGED, errors=errors)
    household = _household(data.get("household"), by=by if "household" in scoped else _UNCHANGED, errors=errors)
    cleaned = {
        "full_name": full_name, "search_name": fold(full_name), "search_name_rev": reverse_words(fold(full_name)),
        "birth_date": birth_date, "birth_year": birth_year,
        "sex": sex, "national_id": national_id, "phone": phone, "phone_alt": phone_alt, "commune": commune,
        "address_line": _text(data.get("address_line"), "address_line", 300, errors),
        "household": household, "occupation": _text(data.get("occupation"), "occupation", 100, errors),
    }
    if national_id:
        others = Person.objects.active().filter(national_id=national_id)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        other = others.select_related("commune").first()
        if other is not None:
            visible = people_in_scope(by).filter(pk=other.pk).exists()
            message = (
                _("This national ID already belongs to %(name)s (born %(year)s, %(commune)s).")
                % {"name": other.full_name, "year": other.effective_birth_year or "?", "commune": other.commune.label}
                if visible else _("This national ID already belongs to a person outside your jurisdiction.")
            )
            errors.append(DomainError(PeopleErrorCode.NATIONAL_ID_TAKEN, message, field="national_id", existing_id=str(other.pk)))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


@transaction.atomic
def person_create(
    *, by, full_name: str, sex: str = Sex.UNKNOWN, commune: AdminUnit | int | str | None,
    birth_date: date | str | None = None, birth_year: int | None = None, national_id: str = "", phone: str = "",
    phone_alt: str = "", address_line: str = "", household: Household | None = None, occupation: str = "",
) -> Person:
    require_perm(by, Perm.PEOPLE_EDIT)
    data = {
        "full_name": full_name, "birth_date": birth_date, "birth_year": birth_year, "sex": sex,
        "national_id": national_id, "phone": phone, "phone_alt": phone_alt, "commune": commune,
        "address_line": address_line, "household": household, "occupation": occupation,
    }
    cleaned = _clean_person(data, by=by, instance=None)
    actor = by if by is not None and by.is_authenticated else None
    person = Person.objects.create(**cleaned, created_by=actor, changed_by=actor)
    audit_record(actor=by, action=AuditAction.CREATE, object_type="person", object_id=person.pk, person_id=person.pk)
    duplicates_detect_for(person=person)
    return person


@transaction.atomic(durable=True)
def person_update(*, person: Person, by, **changes: Any) -> Person:
    require_perm(by, Perm.PEOPLE_EDIT)
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise ValidationFailed([
            DomainError(PeopleErrorCode.FIELD_UNKNOWN, _("%(field)s cannot be changed.") % {"field": f}, field=f)
            for f in unknown
        ])
    current = people_in_scope(by).select_for_update().filter(pk=person.pk).first()
    if current is None:
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("No such person."))
    data = {f: getattr(current, f) for f in PERSON_FIELDS}
    # An unchanged commune of someone else's jurisdiction (place-bound staff) is not re-checked.
    data.update(changes)
    cleaned = _clean_person(data, by=by, instance=current, scoped=frozenset(changes))
    written = set(model_update(current, cleaned, changed_by=as_user(by)))  # nothing changed: nothing written
    changed = [f for f in PERSON_FIELDS if f in written]
    audit_record(
        actor=by, action=AuditAction.UPDATE, object_type="person", object_id=current.pk, person_id=current.pk,
        detail={"fields": changed},
    )
    if "commune" in changed:
        person_commune_changed.send(sender=Person, person_ids=[current.pk])
    if changed:
        duplicates_detect_for(person=current)
    return current


@transaction.atomic
def household_create(*, by, commune: AdminUnit | int | str | None, address_line: str = "", code: str = "") -> Household:
    require_perm(by, Perm.PEOPLE_EDIT)
    errors: list[DomainError] = []
    unit = commune_resolve(commune, by=by, errors=errors)
    address = _text(address_line, "address_line", 300, errors)
    code = _text(code, "code", 32, errors)
    if errors:
        raise ValidationFailed(errors)
    actor = by if by is not None and by.is_authenticated else None
    household = Household.objects.create(commune=unit, address_line=address, code=code, created_by=actor, changed_by=actor)
    audit_record(actor=by, action=AuditAction.CREATE, object_type="household", object_id=household.pk)
    return household
