import pytest
from django.urls import reverse

from lachan.notifications.models import Message, MessageStatus
from lachan.notifications.services import message_send, notification_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(fake_channel):
    sent = notification_queue(template="test.hello", channel="sms", to="0912345612", context={"name": "An"})
    message_send(message_id=sent.id)
    fake_channel.fail_permanently = True
    dead = notification_queue(template="test.hello", channel="email", to="binh@example.vn", context={"name": "Bình"})
    message_send(message_id=dead.id)
    fake_channel.reset()
    otp = notification_queue(template="account.otp", channel="sms", to="0987654321",
                             context={"code": "246810", "minutes": 5})
    for m in (sent, dead, otp):
        m.refresh_from_db()
    return {"sent": sent, "dead": dead, "otp": otp}


def test_outbox_page_lists_masked_messages(client, staff, outbox):
    client.force_login(staff.epidemiologist)
    response = client.get(reverse("notifications:outbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "09******12" in html
    assert "0912345612" not in html
    assert "bi**@example.vn" in html
    assert 'data-status="dead"' in html and 'data-status="sent"' in html


def test_outbox_filters(client, staff, outbox):
    client.force_login(staff.province)
    html = client.get(reverse("notifications:outbox"), {"status": "dead"}).content.decode()
    assert "bi**@example.vn" in html and "09******12" not in html
    html = client.get(reverse("notifications:outbox"), {"channel": "sms", "template": "account.otp"}).content.decode()
    assert "09******21" in html and "09******12" not in html
    html = client.get(reverse("notifications:outbox"), {"date_from": "2000-01-01", "date_to": "2000-01-02"}).content.decode()
    assert "No messages." in html


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"date_from": "yesterday"},
                                    {"date_from": "2021-08-02", "date_to": "2021-08-01"}, {"page": "x"}])
def test_outbox_bad_filters_are_not_500(client, staff, outbox, params):
    client.force_login(staff.province)
    response = client.get(reverse("notifications:outbox"), params)
    assert response.status_code == 200


def test_outbox_pages(client, staff, fake_channel):
    for i in range(55):
        notification_queue(template="test.hello", channel="sms", to=f"09123456{i:02d}", context={"name": "An"})
    client.force_login(staff.province)
    first = client.get(reverse("notifications:outbox"))
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    second = client.get(reverse("notifications:outbox"), {"page": 2})
    assert len(second.context["rows"]) == 5 and not second.context["has_next"]
    # newest first: the last one queued is on top of page 1
    assert first.context["rows"][0].to == "0912345654"


def test_outbox_needs_permission(client, staff, outbox):
    assert client.get(reverse("notifications:outbox")).status_code == 302  # to log-in
    client.force_login(staff.commune)
    assert client.get(reverse("notifications:outbox")).status_code == 403
    assert client.get(reverse("notifications:message", args=[outbox["sent"].id])).status_code == 403
    assert client.post(reverse("notifications:retry", args=[outbox["dead"].id])).status_code == 403
    assert Message.objects.get(id=outbox["dead"].id).status == MessageStatus.DEAD


def test_detail_page_hides_one_time_codes(client, staff, outbox):
    client.force_login(staff.epidemiologist)
    html = client.get(reverse("notifications:message", args=[outbox["sent"].id])).content.decode()
    assert "La Chan: tin nhan thu. Xin chao An!" in html
    html = client.get(reverse("notifications:message", args=[outbox["otp"].id])).content.decode()
    assert "246810" not in html
    assert "Hidden" in html
    missing = "0190f0f0-0000-7000-8000-000000000000"
    assert client.get(reverse("notifications:message", args=[missing])).status_code == 404


def test_retry_dead_message_from_the_page(client, staff, outbox, fake_channel, django_capture_on_commit_callbacks):
    client.force_login(staff.province)
    html = client.get(reverse("notifications:message", args=[outbox["dead"].id])).content.decode()
    assert reverse("notifications:retry", args=[outbox["dead"].id]) in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:retry", args=[outbox["dead"].id]))
    assert response.status_code == 302
    dead = Message.objects.get(id=outbox["dead"].id)
    assert dead.status == MessageStatus.SENT
    assert [m["to"] for m in fake_channel.sent] == ["binh@example.vn"]
    # a sent message cannot be retried: an error message, not a 500
    response = client.post(reverse("notifications:retry", args=[outbox["sent"].id]), follow=True)
    assert response.status_code == 200
    assert "Only a message that has finally failed can be retried." in response.content.decode()
    assert client.get(reverse("notifications:retry", args=[outbox["sent"].id])).status_code == 405


# --- API ---

def test_api_lists_messages(client, staff, outbox):
    client.force_login(staff.epidemiologist)
    response = client.get("/api/notifications/messages")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert [item["template"] for item in data["items"]] == ["account.otp", "test.hello", "test.hello"]
    assert data["items"][2]["to_masked"] == "09******12"
    assert "to" not in data["items"][2]
    response = client.get("/api/notifications/messages", {"status": "dead"})
    assert [item["to_masked"] for item in response.json()["items"]] == ["bi**@example.vn"]
    response = client.get("/api/notifications/messages", {"channel": "sms", "to": "0912345612"})
    assert response.json()["count"] == 1


def test_api_message_detail(client, staff, outbox):
    client.force_login(staff.province)
    data = client.get(f"/api/notifications/messages/{outbox['sent'].id}").json()
    assert data["to"] == "0912345612"
    assert data["body"] == "La Chan: tin nhan thu. Xin chao An!"
    assert data["status"] == "sent" and data["provider_message_id"] == "fake-1"
    otp = client.get(f"/api/notifications/messages/{outbox['otp'].id}").json()
    assert otp["body"] is None
    missing = client.get("/api/notifications/messages/0190f0f0-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "notifications.not_found"


def test_api_bad_filters(client, staff, outbox):
    client.force_login(staff.province)
    assert client.get("/api/notifications/messages", {"status": "bogus"}).status_code == 422
    assert client.get("/api/notifications/messages", {"date_from": "not-a-date"}).status_code == 422
    assert client.get("/api/notifications/messages/not-a-uuid").status_code == 422


def test_api_needs_permission(client, staff, outbox):
    assert client.get("/api/notifications/messages").status_code == 401
    client.force_login(staff.commune)
    response = client.get("/api/notifications/messages")
    assert response.status_code == 403
    assert client.get(f"/api/notifications/messages/{outbox['sent'].id}").status_code == 403


def test_reading_a_message_or_filtering_by_person_or_template_is_audited(client, staff, outbox):
    from uuid import uuid4

    from lachan.accounts.models import AuditEvent

    person = uuid4()
    Message.objects.filter(pk=outbox["sent"].pk).update(person_id=person)
    client.force_login(staff.province)
    client.get(reverse("notifications:outbox"), {"status": "sent"})  # no person or template: not a read of someone
    assert not AuditEvent.objects.filter(action="message.list").exists()
    client.get(reverse("notifications:outbox"), {"template": "test.hello"})
    listed = AuditEvent.objects.get(action="message.list", person_id=person)
    assert listed.actor == staff.province and listed.detail["filters"] == {"template": "test.hello"}
    client.get("/api/notifications/messages", {"to": "0987654321"})  # nobody's person: the search itself
    assert AuditEvent.objects.filter(action="message.list", person_id=None, detail__filters__to="0987654321").exists()
    client.get("/api/notifications/messages", {"person_id": str(person)})
    assert AuditEvent.objects.filter(action="message.list", person_id=person, channel="api").exists()
    client.get(reverse("notifications:message", args=[outbox["sent"].pk]))
    client.get(f"/api/notifications/messages/{outbox['sent'].pk}")
    views = AuditEvent.objects.filter(action="message.view", object_id=str(outbox["sent"].pk), person_id=person)
    assert sorted(views.values_list("channel", flat=True)) == ["api", "web"]
    assert views.first().detail == {"template": "test.hello"}
