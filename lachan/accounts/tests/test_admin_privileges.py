"""The Django admin: privileges are granted by the deployment's own superuser only, and personal health data
is not there at all (it is read through the pages and the API, scoped and audited)."""

import pytest
from django.contrib import admin

from lachan.accounts.models import User
from lachan.accounts.roles import Role
from lachan.core.errors import PermissionDenied


def _change_form(user, **extra):
    form = {
        "username": user.username, "first_name": "", "last_name": "", "email": "", "phone": "", "language": "vi",
        "role": user.role, "jurisdiction_unit": user.jurisdiction_unit_id or "", "jurisdiction_place": "",
        "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "groups": [], "user_permissions": [],
    }
    form.update(extra)
    return form


@pytest.fixture
def admin_province(staff):
    staff.province.is_staff = True
    staff.province.save()
    return staff.province


@pytest.fixture
def root(make_user):
    return make_user(Role.CITIZEN, username="root", is_staff=True, is_superuser=True)


def test_a_province_admin_cannot_make_anyone_a_superuser(client, staff, admin_province):
    client.force_login(admin_province)
    for target in (staff.commune, admin_province):
        response = client.post(f"/admin/accounts/user/{target.pk}/change/", _change_form(target))
        assert response.status_code == 302
        target.refresh_from_db()
        assert not target.is_superuser
    staff.commune.refresh_from_db()
    assert not staff.commune.is_staff
    # The fields are shown, not editable.
    page = client.get(f"/admin/accounts/user/{staff.commune.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page


def test_a_superuser_account_is_changed_by_a_superuser_only(client, admin_province, root):
    client.force_login(admin_province)
    assert client.get(f"/admin/accounts/user/{root.pk}/password/").status_code == 403
    response = client.post(f"/admin/accounts/user/{root.pk}/password/",
                           {"password1": "Another!pass2021", "password2": "Another!pass2021"})
    assert response.status_code == 403
    assert client.post(f"/admin/accounts/user/{root.pk}/change/", _change_form(root, is_active="")).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password("Lachan!2021pw")
    # Nor through the staff pages' services.
    from lachan.accounts.services import user_deactivate, user_set_jurisdiction

    with pytest.raises(PermissionDenied):
        user_deactivate(user=root, by=admin_province)
    with pytest.raises(PermissionDenied):
        user_set_jurisdiction(user=root, role=Role.CITIZEN, by=admin_province)
    assert client.post(f"/accounts/users/{root.pk}/active/").status_code in (302, 403)
    root.refresh_from_db()
    assert root.is_active


def test_the_superuser_grants_staff_and_superuser(client, staff, root):
    client.force_login(root)
    response = client.post(f"/admin/accounts/user/{staff.commune.pk}/change/", _change_form(staff.commune))
    assert response.status_code == 302
    staff.commune.refresh_from_db()
    assert staff.commune.is_superuser and staff.commune.is_staff


def _personal(model) -> bool:
    from lachan.people.models import Person

    for field in [*model._meta.fields, *model._meta.many_to_many]:  # its own fields, not relations to it
        if field.name in ("person", "person_id") or getattr(field, "related_model", None) is Person:
            return True
    return model is Person


def test_no_personal_health_data_is_in_the_admin(client, root):
    from lachan.accounts.models import AuditEvent

    registered = {m for m in admin.site._registry if m is not AuditEvent}  # the trail itself: read-only
    assert not [m.__name__ for m in registered if _personal(m)]
    names = {f"{m._meta.app_label}.{m.__name__}" for m in registered}
    assert not names & {"cases.Case", "cases.Cluster", "quarantine.Order", "notifications.Message"}
    client.force_login(root)
    assert client.get("/admin/cases/case/").status_code == 404
    assert client.get("/admin/quarantine/order/").status_code == 404
    assert client.get("/admin/").status_code == 200


def test_a_non_superuser_is_refused_the_privilege_fields_whatever_the_form(staff, admin_province, rf):
    from lachan.accounts.admin import UserAdmin

    request = rf.get("/admin/")
    request.user = admin_province
    model_admin = UserAdmin(User, admin.site)
    readonly = model_admin.get_readonly_fields(request, staff.commune)
    assert {"is_staff", "is_superuser", "groups", "user_permissions"} <= set(readonly)
