import pytest

from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.models import User
from lachan.accounts.roles import ROLE_JURISDICTION, Role
from lachan.accounts.services import jurisdiction_validate, staff_user_create, user_set_jurisdiction
from lachan.core.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_each_role_accepts_its_kind(units, places):
    good = {
        "province": {"unit": units.province}, "district": {"unit": units.district},
        "commune": {"unit": units.commune}, "laboratory": {"place": places.laboratory},
        "enterprise": {"place": places.enterprise}, "checkpoint": {"place": places.checkpoint},
        "venue": {"place": places.venue}, None: {},
    }
    for role, kind in ROLE_JURISDICTION.items():
        args = {"unit": None, "place": None, **good[kind]}
        jurisdiction_validate(role=role, **args)


@pytest.mark.parametrize("role,kwargs,code,words", [
    (Role.PROVINCE_ADMIN, {"unit": "district"}, "jurisdiction_kind", "province"),
    (Role.DISTRICT_OFFICER, {"unit": "commune"}, "jurisdiction_kind", "district"),
    (Role.COMMUNE_STATION, {"unit": "province"}, "jurisdiction_kind", "commune"),
    (Role.COMMUNE_STATION, {}, "jurisdiction_required", "commune"),
    (Role.LAB_STAFF, {"place": "enterprise"}, "jurisdiction_kind", "laboratory"),
    (Role.LAB_STAFF, {"unit": "commune"}, "jurisdiction_required", "laboratory"),
    (Role.VENUE_OWNER, {"place": "hospital"}, "jurisdiction_kind", "venue"),
    (Role.CHECKPOINT_OFFICER, {"place": "venue"}, "jurisdiction_kind", "checkpoint"),
    (Role.CITIZEN, {"unit": "commune"}, "jurisdiction_forbidden", "citizen"),
    (Role.ENTERPRISE_OFFICER, {"unit": "commune", "place": "enterprise"}, "jurisdiction_kind", "not both"),
    ("pharaoh", {}, "role_unknown", "pharaoh"),
])
def test_wrong_kind_is_refused_with_a_clear_message_and_nothing_saved(staff, units, places, role, kwargs, code, words):
    resolved = {"unit": None, "place": None}
    for key, name in kwargs.items():
        resolved[key] = getattr(units, name) if key == "unit" else getattr(places, name)
    target = staff.commune
    with pytest.raises(DomainError) as err:
        user_set_jurisdiction(user=target, role=role, by=staff.province, **resolved)
    assert err.value.code == code
    assert words in str(err.value.message)
    target.refresh_from_db()
    assert target.role == Role.COMMUNE_STATION and target.jurisdiction_unit == units.commune
    assert target.jurisdiction_place is None


def test_set_jurisdiction_saves_and_audits(staff, places):
    user_set_jurisdiction(user=staff.commune, role=Role.LAB_STAFF, place=places.laboratory, by=staff.province)
    staff.commune.refresh_from_db()
    assert staff.commune.role == Role.LAB_STAFF and staff.commune.jurisdiction_unit is None
    assert staff.commune.jurisdiction_place == places.laboratory


def test_only_account_managers_may_change_jurisdictions(staff, units):
    with pytest.raises(PermissionDenied):
        user_set_jurisdiction(user=staff.commune, role=Role.DISTRICT_OFFICER, unit=units.district, by=staff.district)


def test_staff_user_create_validates(staff, units, places):
    with pytest.raises(DomainError) as err:
        staff_user_create(username="lab1", password="Lachan!2021pw", role=Role.LAB_STAFF, place=places.venue,
                          by=staff.province)
    assert err.value.code == "jurisdiction_kind"
    assert not User.objects.filter(username="lab1").exists()
    with pytest.raises(DomainError) as err:
        staff_user_create(username="district", password="Lachan!2021pw", role=Role.DISTRICT_OFFICER,
                          unit=units.district, by=staff.province)
    assert err.value.code == "username_taken"
    with pytest.raises(DomainError) as err:
        staff_user_create(username="lab1", password="123", role=Role.LAB_STAFF, place=places.laboratory,
                          by=staff.province)
    assert err.value.code == "password_weak"
    with pytest.raises(DomainError) as err:
        staff_user_create(username="bad name!", password="Lachan!2021pw", role=Role.LAB_STAFF,
                          place=places.laboratory, by=staff.province)
    assert err.value.code == "username_invalid"
    user = staff_user_create(username="lab1", password="Lachan!2021pw", role=Role.LAB_STAFF,
                             place=places.laboratory, full_name="Lê Thị Lan", by=staff.province)
    assert user.check_password("Lachan!2021pw") and not user.is_staff


def test_scope_for_each_role(staff, units, places, make_user):
    scope = scope_for(staff.province)
    assert scope.kind == "unit" and unit_in_scope(scope, units.commune) and unit_in_scope(scope, units.other_commune)
    assert units.commune.pk in scope.commune_ids() and units.other_commune.pk in scope.commune_ids()
    district = scope_for(staff.district)
    assert unit_in_scope(district, units.commune) and not unit_in_scope(district, units.other_commune)
    assert units.commune.pk in district.commune_ids() and units.other_commune.pk not in district.commune_ids()
    commune = scope_for(staff.commune)
    assert commune.commune_ids() == [units.commune.pk]
    assert not unit_in_scope(commune, units.commune2)
    for kind, role in (("laboratory", Role.LAB_STAFF), ("enterprise", Role.ENTERPRISE_OFFICER),
                       ("checkpoint", Role.CHECKPOINT_OFFICER), ("venue", Role.VENUE_OWNER)):
        place = getattr(places, kind)
        scope = scope_for(make_user(role, place=place))
        assert scope.kind == "place" and scope.place_id == place.pk and scope.place_kind == kind
        assert scope.commune_ids() == []
    citizen = make_user(Role.CITIZEN, username="0912345678")
    assert scope_for(citizen).kind == "self" and scope_for(citizen).user_id == citizen.pk
    assert scope_for(make_user(Role.DISTRICT_OFFICER)).is_empty  # no jurisdiction: sees nothing
    staff.district.is_active = False
    assert scope_for(staff.district).is_empty
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()).is_empty and scope_for(None).is_empty


def test_a_users_scope_is_read_once_per_user_object_and_follows_its_jurisdiction(units, staff, django_assert_num_queries):
    """A page builds its jurisdiction's filters a dozen times: the communes are read once for the request's user
    object; a changed jurisdiction, role or a deactivated account is seen at once."""
    user = staff.district
    first = scope_for(user).commune_ids()
    with django_assert_num_queries(0):
        assert scope_for(user).commune_ids() == first
        scope_for(user).person_q(person_field="person")
    assert set(first) == {units.commune.pk, units.commune2.pk} | set(
        units.district.children.values_list("pk", flat=True))
    user.jurisdiction_unit = units.other_district
    assert units.other_commune.pk in scope_for(user).commune_ids() and units.commune.pk not in scope_for(
        user).commune_ids()
    user.role = Role.CITIZEN
    assert scope_for(user).kind == "self"
    user.is_active = False
    assert scope_for(user).is_empty
    fresh = User.objects.get(pk=staff.district.pk)  # another request: read again
    with django_assert_num_queries(2):  # its unit, its communes
        scope_for(fresh).commune_ids()
