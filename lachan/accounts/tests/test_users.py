import pytest

from lachan.accounts.models import ApiToken, AuditAction, AuditEvent, User
from lachan.accounts.roles import Role
from lachan.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

PASSWORD = "Lachan!2021pw"


def test_only_account_managers_see_the_page(client, staff):
    for user in (staff.epidemiologist, staff.district, staff.commune):
        client.force_login(user)
        assert client.get("/accounts/users/").status_code == 403
        assert client.post("/accounts/users/unlock/", {"username": "x"}).status_code == 403
        assert client.post(f"/accounts/users/{staff.commune.pk}/active/").status_code == 403
    client.force_login(staff.province)
    page = client.get("/accounts/users/", {"q": "commune"})
    assert page.status_code == 200
    assert {u.username for u in page.context["rows"]} == {"commune", "othercommune"}


def test_create_staff_user_with_the_wrong_kind_is_refused(client, staff, units, places):
    client.force_login(staff.province)
    data = {"username": "lab1", "role": Role.LAB_STAFF, "jurisdiction_unit": units.commune.pk, "password": PASSWORD}
    response = client.post("/accounts/users/", data)
    assert response.status_code == 400
    errors = str(response.context["form"].errors)
    assert "laboratory" in errors
    assert not User.objects.filter(username="lab1").exists()
    unknown = client.post("/accounts/users/", {**data, "jurisdiction_unit": "", "jurisdiction_place": "nonsense"})
    assert "jurisdiction_place" in unknown.context["form"].errors
    ok = client.post("/accounts/users/", {**data, "jurisdiction_unit": "", "jurisdiction_place": str(places.laboratory.pk)})
    assert ok.status_code == 302
    user = User.objects.get(username="lab1")
    assert user.jurisdiction_place == places.laboratory and user.role == Role.LAB_STAFF
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="user", object_id=str(user.pk)).exists()


def test_deactivate_revokes_tokens_and_reactivate(client, staff):
    token, _ = api_token_create(user=staff.commune, name="x")
    client.force_login(staff.province)
    client.post(f"/accounts/users/{staff.commune.pk}/active/")
    staff.commune.refresh_from_db()
    assert not staff.commune.is_active
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    client.post(f"/accounts/users/{staff.commune.pk}/active/", {"active": "1"})
    staff.commune.refresh_from_db()
    assert staff.commune.is_active
    # One cannot lock oneself out.
    client.post(f"/accounts/users/{staff.province.pk}/active/")
    staff.province.refresh_from_db()
    assert staff.province.is_active


def test_admin_checks_the_jurisdiction(client, staff, units, places):
    staff.province.is_staff = True
    staff.province.save()
    client.force_login(staff.province)
    url = f"/admin/accounts/user/{staff.commune.pk}/change/"
    assert client.get(url).status_code == 200
    form = {
        "username": "commune", "first_name": "", "last_name": "", "email": "", "phone": "", "language": "vi",
        "role": Role.DISTRICT_OFFICER, "jurisdiction_unit": units.commune.pk, "jurisdiction_place": "",
        "is_active": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "district" in str(response.context["adminform"].form.errors)
    staff.commune.refresh_from_db()
    assert staff.commune.role == Role.COMMUNE_STATION
    ok = client.post(url, {**form, "jurisdiction_unit": units.district.pk})
    assert ok.status_code == 302
    staff.commune.refresh_from_db()
    assert staff.commune.role == Role.DISTRICT_OFFICER and staff.commune.jurisdiction_unit == units.district
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, detail__via="admin").exists()
    # Tokens and the audit trail are read-only in the admin.
    token, _ = api_token_create(user=staff.commune, name="x")
    assert client.get(f"/admin/accounts/apitoken/{token.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    client.force_login(staff.district)
    assert client.get(url).status_code == 302  # not admin staff at all
