from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import ApiToken
from lachan.accounts.roles import Role
from lachan.accounts.services import api_token_create, api_token_revoke
from lachan.core.errors import DomainError, NotFound

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def auth(raw):
    return {"authorization": f"Bearer {raw}"}


def test_only_a_hash_is_stored(staff):
    token, raw = api_token_create(user=staff.district, name="lab import")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith("lc_") and stored.prefix == raw[:8]
    assert stored.key_hash == ApiToken.hash(raw) and raw not in stored.key_hash
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_token_authenticates_until_revoked(client, staff):
    token, raw = api_token_create(user=staff.district, name="script")
    me = client.get("/api/accounts/me", headers=auth(raw))
    assert me.status_code == 200
    body = me.json()
    assert body["role"] == Role.DISTRICT_OFFICER
    assert body["jurisdiction"]["kind"] == "unit" and body["jurisdiction"]["level"] == 2
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    api_token_revoke(token_id=token.pk, user=staff.district)
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 401


def test_expired_and_unknown_tokens_are_rejected(client, staff):
    token, raw = api_token_create(user=staff.district, name="short", expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 401
    assert client.get("/api/accounts/me", headers=auth("lc_made-up")).status_code == 401
    assert client.get("/api/accounts/me").json()["code"] == "unauthorized"


def test_token_of_deactivated_user_is_rejected(client, staff):
    from lachan.accounts.services import user_deactivate

    _, raw = api_token_create(user=staff.district, name="script")
    user_deactivate(user=staff.district, by=staff.province)
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 401


def test_bad_token_input(staff):
    with pytest.raises(DomainError) as err:
        api_token_create(user=staff.district, name="  ")
    assert err.value.code == "token_name_required"
    with pytest.raises(NotFound):
        api_token_revoke(token_id=999999, user=staff.district)
    other, _ = api_token_create(user=staff.commune, name="theirs")
    with pytest.raises(NotFound):  # someone else's token does not exist for you
        api_token_revoke(token_id=other.pk, user=staff.district)


def test_tokens_api_create_list_revoke(client, staff):
    _, raw = api_token_create(user=staff.district, name="first")
    created = client.post("/api/accounts/tokens", {"name": "second", "expires_in_days": 30},
                          content_type="application/json", headers=auth(raw))
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("lc_") and body["expires_at"]
    listed = client.get("/api/accounts/tokens", headers=auth(raw)).json()
    assert {t["name"] for t in listed} == {"first", "second"} and all("token" not in t for t in listed)
    assert client.delete(f"/api/accounts/tokens/{body['id']}", headers=auth(raw)).status_code == 204
    assert client.get("/api/accounts/me", headers=auth(body["token"])).status_code == 401
    missing = client.delete("/api/accounts/tokens/999999", headers=auth(raw))
    assert missing.status_code == 404 and missing.json()["code"] == "token_not_found"
    bad = client.post("/api/accounts/tokens", {"name": "x", "expires_in_days": 0}, content_type="application/json",
                      headers=auth(raw))
    assert bad.status_code == 400
    empty = client.post("/api/accounts/tokens", {"name": ""}, content_type="application/json", headers=auth(raw))
    assert empty.status_code == 400 and empty.json()["code"] == "token_name_required"


def test_citizens_cannot_manage_tokens(client, make_user):
    citizen = make_user(Role.CITIZEN, username="0912345678", phone="0912345678")
    client.force_login(citizen)
    response = client.get("/api/accounts/tokens")
    assert response.status_code == 403 and response.json()["code"] == "staff_only"
    assert client.get("/api/accounts/me").json()["jurisdiction"]["kind"] == "none"


def test_token_page_shows_raw_token_once(client, staff):
    client.force_login(staff.district)
    response = client.post("/accounts/me/tokens/", {"name": "laptop", "expires_days": "10"})
    assert response.status_code == 200
    raw = response.context["new_token_raw"]
    assert raw in response.content.decode()
    again = client.get("/accounts/me/")
    assert raw not in again.content.decode() and "laptop" in again.content.decode()
    token = ApiToken.objects.get(name="laptop")
    client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.post("/accounts/me/tokens/", {"name": ""}).status_code == 400


def test_api_obtain_token_and_lockout(client, staff):
    url = "/api/accounts/auth/token"
    ok = client.post(url, {"username": "district", "password": PASSWORD}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["expires_at"]
    for _ in range(4):
        bad = client.post(url, {"username": "district", "password": "nope"}, content_type="application/json")
        assert bad.status_code == 401 and bad.json()["code"] == "login_failed"
    locked = client.post(url, {"username": "district", "password": "nope"}, content_type="application/json")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    still = client.post(url, {"username": "district", "password": PASSWORD}, content_type="application/json")
    assert still.status_code == 429


def test_token_cache_sees_changes_from_other_processes_within_its_ttl(client, staff, monkeypatch):
    """Another process revoking the token (here: an update() that sends no signal) is seen once the
    cached entry is older than TOKEN_CACHE_SECONDS; a save in this process is seen at once."""
    from lachan.accounts import authentication
    from lachan.core import caching

    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    token, raw = api_token_create(user=staff.district, name="scanner")
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 200  # still cached
    clock[0] += authentication.TOKEN_CACHE_SECONDS + 1
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
    _, other = api_token_create(user=staff.district, name="other")  # a save clears the cache
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 200
    staff.district.is_active = False
    staff.district.save(update_fields=["is_active"])
    assert client.get("/api/accounts/me", headers=auth(raw)).status_code == 401
    assert client.get("/api/accounts/me", headers=auth(other)).status_code == 401


def test_cached_user_is_copied_per_request(rf, staff):
    from lachan.accounts.authentication import TokenAuth

    _, raw = api_token_create(user=staff.district, name="scanner")
    first, second = rf.get("/"), rf.get("/")
    user = TokenAuth().authenticate(first, raw)
    user.some_attribute = "set by a view"
    again = TokenAuth().authenticate(second, raw)
    assert again.pk == user.pk and again is not user and not hasattr(again, "some_attribute")
