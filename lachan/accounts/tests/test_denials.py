"""Refused attempts at personal data (403, 404) are recorded, once for all routes, and repeated ones are shown
to the province."""

from datetime import timedelta
from uuid import uuid4

from django.utils import timezone

from lachan.accounts.audit import DENIED
from lachan.accounts.models import AuditEvent


def test_403_and_404_on_personal_data_are_recorded_with_the_route_and_address(client, staff):
    client.force_login(staff.commune)
    missing = uuid4()
    assert client.get(f"/cases/{missing}/", REMOTE_ADDR="10.0.0.7").status_code == 404
    event = AuditEvent.objects.get(action=DENIED)
    assert (event.actor, event.ip, event.object_id, event.detail["status"]) == (staff.commune, "10.0.0.7", str(missing), 404)
    assert event.detail["route"] and event.channel == "web"
    assert client.get("/accounts/audit/").status_code == 403  # no permission
    assert client.get(f"/api/cases/{missing}").status_code == 404
    assert list(AuditEvent.objects.filter(action=DENIED).order_by("at").values_list("detail__status", "channel")) == [
        (404, "web"), (403, "web"), (404, "api")]


def test_what_is_not_a_refusal_of_personal_data_is_not_recorded(client, staff):
    assert client.get(f"/cases/{uuid4()}/").status_code == 302  # anonymous: sent to log in
    client.force_login(staff.commune)
    client.get("/no-such-page/")  # no route at all
    client.get("/units/99999999/")  # not personal data
    client.get("/cases/")  # allowed
    assert not AuditEvent.objects.filter(action=DENIED).exists()


def _probe(client, user, times, ip="10.0.0.9"):
    client.force_login(user)
    for _ in range(times):
        client.get(f"/api/people/{uuid4()}", REMOTE_ADDR=ip)


def test_the_province_sees_who_probes(client, staff):
    _probe(client, staff.commune, 12)
    _probe(client, staff.district, 3, ip="10.0.0.10")
    AuditEvent.objects.filter(action=DENIED, actor=staff.district).update(at=timezone.now() - timedelta(days=3))
    client.force_login(staff.province)
    page = client.get("/accounts/audit/denials/")
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r["actor_username"], r["ip"], r["denials"]) for r in rows] == [("commune", "10.0.0.9", 12)]
    api = client.get("/api/accounts/audit/denials", {"hours": 24 * 7, "at_least": 2}).json()
    assert [(r["username"], r["denials"]) for r in api] == [("commune", 12), ("district", 3)]
    # Bad input is a clear answer, not a 500; the page falls back to its defaults.
    assert client.get("/api/accounts/audit/denials", {"hours": "x"}).status_code == 422
    assert client.get("/api/accounts/audit/denials", {"hours": 0}).status_code == 422
    assert client.get("/accounts/audit/denials/", {"hours": "-3", "at_least": "²"}).status_code == 200
    # Only the province reads it (and that refusal is itself recorded).
    client.force_login(staff.district)
    assert client.get("/accounts/audit/denials/").status_code == 403
    assert client.get("/api/accounts/audit/denials").status_code == 403
    refused = AuditEvent.objects.filter(action=DENIED, actor=staff.district, at__gte=timezone.now() - timedelta(hours=1))
    assert sorted(e.detail["route"] for e in refused) == ["accounts:audit_denials", "api:audit_denials"]
