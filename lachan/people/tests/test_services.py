from datetime import date, timedelta

import pytest

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.geo.models import AdminUnit
from lachan.people import services
from lachan.people.errors import PeopleErrorCode as E
from lachan.people.models import Person


def codes(exc):
    return {(e.field, e.code) for e in exc.value.errors}


def test_create_normalises_and_audits(staff, units, cccd):
    p = services.person_create(
        by=staff.commune, full_name="  trần   THỊ   bích ", sex="F", birth_date="1985-02-03",
        national_id=cccd(1985, "F"), phone="+84 162 345 6789", phone_alt="0162 345 6789", commune=units.commune,
    )
    assert (p.full_name, p.search_name, p.birth_year, p.phone, p.phone_alt) == (
        "Trần Thị Bích", "tran thi bich", 1985, "0323456789", "",
    )
    assert p.created_by == staff.commune
    event = AuditEvent.objects.get(action="create", person_id=p.pk)
    assert event.actor == staff.commune


def test_all_field_errors_reported_together_and_nothing_saved(staff, units):
    before = Person.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(
            by=staff.commune, full_name="  ", sex="X", birth_date="2021-02-30", national_id="12AB",
            phone="+1 202 555 0123", phone_alt="0273 3812345", commune=units.other_commune,
        )
    assert codes(exc) >= {
        ("full_name", E.NAME_REQUIRED), ("sex", E.SEX_INVALID), ("birth_date", E.BIRTH_DATE_INVALID),
        ("national_id", E.NATIONAL_ID_NOT_DIGITS), ("phone", E.PHONE_INVALID), ("phone_alt", E.PHONE_INVALID),
        ("commune", E.COMMUNE_OUT_OF_SCOPE),
    }
    assert Person.objects.count() == before
    assert not AuditEvent.objects.filter(action="create").exists()


@pytest.mark.parametrize("kwargs, expected", [
    ({"birth_date": date.today() + timedelta(days=1)}, ("birth_date", E.BIRTH_DATE_FUTURE)),
    ({"birth_date": date(1899, 12, 31)}, ("birth_date", E.BIRTH_DATE_TOO_EARLY)),
    ({"birth_date": "31/12/1990"}, ("birth_date", E.BIRTH_DATE_INVALID)),
    ({"birth_year": 1850}, ("birth_year", E.BIRTH_YEAR_INVALID)),
    ({"birth_year": "abc"}, ("birth_year", E.BIRTH_YEAR_INVALID)),
    ({"birth_date": date(1990, 1, 1), "birth_year": 1991}, ("birth_year", E.BIRTH_YEAR_MISMATCH)),
    ({"national_id": "082290000123", "birth_year": 1990}, ("national_id", E.NATIONAL_ID_CENTURY)),
])
def test_bad_birth_data(staff, units, kwargs, expected):
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.province, full_name="An", sex="M", commune=units.commune, **kwargs)
    assert expected in codes(exc)


@pytest.mark.parametrize("commune", [None, "", "99999", 10**9])
def test_unknown_commune(staff, commune):
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.province, full_name="An", commune=commune)
    assert ("commune", E.COMMUNE_UNKNOWN) in codes(exc)


def test_district_or_province_is_not_a_commune(staff, units):
    for unit in (units.district, units.province):
        with pytest.raises(ValidationFailed) as exc:
            services.person_create(by=staff.province, full_name="An", commune=unit)
        assert ("commune", E.COMMUNE_UNKNOWN) in codes(exc)


def test_other_tree_commune_is_unknown(staff, units):
    foreign = AdminUnit.objects.create(tree="2025", level=3, code="99001", name="X", short_name="X", kind="Xã", path="2025/99/99001")
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.province, full_name="An", commune=foreign)
    assert ("commune", E.COMMUNE_UNKNOWN) in codes(exc)


def test_commune_by_official_code(staff, units):
    p = services.person_create(by=staff.district, full_name="An", commune=units.commune2.code)
    assert p.commune == units.commune2


def test_district_user_cannot_create_in_other_district(staff, units):
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.district, full_name="An", commune=units.other_commune)
    assert ("commune", E.COMMUNE_OUT_OF_SCOPE) in codes(exc)


def test_permission_required(units, make_user):
    for role in (Role.CITIZEN, Role.CHECKPOINT_OFFICER, Role.IOC_OPERATOR):
        user = make_user(role, unit=units.province if role == Role.IOC_OPERATOR else None)
        with pytest.raises(PermissionDenied):
            services.person_create(by=user, full_name="An", commune=units.commune)


def test_second_active_person_with_same_national_id_refused(staff, units, cccd):
    nid = cccd(1990)
    first = services.person_create(by=staff.commune, full_name="Lê Văn Tám", sex="M", birth_year=1990, national_id=nid, commune=units.commune)
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.commune, full_name="Lê Tám", sex="M", birth_year=1990, national_id=nid, commune=units.commune)
    err = exc.value.errors[0]
    assert err.code == E.NATIONAL_ID_TAKEN and "Lê Văn Tám" in str(err.message)
    assert err.params["existing_id"] == str(first.pk)
    # Someone outside the jurisdiction is not named.
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.other_commune, full_name="Lê Tám", sex="M", birth_year=1990, national_id=nid, commune=units.other_commune)
    assert "Lê Văn Tám" not in str(exc.value.errors[0].message)


def test_update_validates_and_audits(staff, units, cccd):
    p = services.person_create(by=staff.commune, full_name="An", sex="M", birth_year=1990, commune=units.commune)
    services.person_update(person=p, by=staff.commune, phone="0912 345 678", national_id=cccd(1990))
    p.refresh_from_db()
    assert p.phone == "0912345678" and len(p.national_id) == 12
    assert AuditEvent.objects.get(action="update", person_id=p.pk).detail["fields"] == ["national_id", "phone"]
    # Changing the year now conflicts with the national ID: refused, nothing changed.
    with pytest.raises(ValidationFailed) as exc:
        services.person_update(person=p, by=staff.commune, birth_year=1991, full_name="Bình")
    assert ("national_id", E.NATIONAL_ID_YEAR) in codes(exc)
    p.refresh_from_db()
    assert (p.birth_year, p.full_name) == (1990, "An")


def test_update_writes_only_what_changed(staff, units):
    """Issue 13 (core.updates.model_update): an update that changes nothing writes nothing (the record's "changed"
    stamp stays), and is still audited; a new name is searchable at once."""
    from datetime import timedelta

    from django.utils import timezone

    p = services.person_create(by=staff.commune, full_name="An", sex="M", birth_year=1990, commune=units.commune)
    stamp = timezone.now() - timedelta(days=2)
    type(p).objects.filter(pk=p.pk).update(changed_at=stamp)
    services.person_update(person=p, by=staff.district, full_name=" An ", birth_year=1990)
    p.refresh_from_db()
    assert p.changed_at == stamp and p.changed_by_id == staff.commune.pk
    assert AuditEvent.objects.get(action="update", person_id=p.pk).detail["fields"] == []
    services.person_update(person=p, by=staff.district, full_name="Nguyễn Văn Bình")
    p.refresh_from_db()
    assert p.changed_at > stamp and p.changed_by_id == staff.district.pk and p.search_name == "nguyen van binh"


def test_update_unknown_field_and_scope(staff, units):
    p = services.person_create(by=staff.commune, full_name="An", commune=units.commune)
    with pytest.raises(ValidationFailed) as exc:
        services.person_update(person=p, by=staff.commune, merged_into=None)
    assert exc.value.errors[0].code == E.FIELD_UNKNOWN
    with pytest.raises(NotFound):
        services.person_update(person=p, by=staff.other_commune, full_name="Bình")
    with pytest.raises(ValidationFailed) as exc:
        services.person_update(person=p, by=staff.commune, commune=units.other_commune)
    assert ("commune", E.COMMUNE_OUT_OF_SCOPE) in codes(exc)


def test_household_create_and_membership(staff, units):
    h = services.household_create(by=staff.commune, commune=units.commune, address_line="12 Ấp Bắc")
    p = services.person_create(by=staff.commune, full_name="An", commune=units.commune, household=h)
    assert p.household == h
    with pytest.raises(ValidationFailed):
        services.household_create(by=staff.commune, commune=units.other_commune)
    # A household outside the jurisdiction cannot be joined.
    other = services.household_create(by=staff.other_commune, commune=units.other_commune)
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(by=staff.commune, full_name="Bình", commune=units.commune, household=other.pk)
    assert ("household", E.HOUSEHOLD_UNKNOWN) in codes(exc)


def test_domain_error_is_the_base(staff, units):
    with pytest.raises(DomainError):
        services.person_create(by=staff.commune, full_name="", commune=units.commune)
