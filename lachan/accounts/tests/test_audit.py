import uuid
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lachan.accounts.audit import audit_record
from lachan.accounts.models import AuditAction, AuditEvent
from lachan.accounts.roles import Role
from lachan.accounts.selectors import audit_events, page_of
from lachan.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(staff):
    person = uuid.uuid4()
    audit_record(actor=staff.district, action=AuditAction.READ, object_type="person", object_id=person, person_id=person)
    audit_record(actor=staff.commune, action=AuditAction.UPDATE, object_type="person", object_id="p2")
    old = audit_record(actor=staff.commune, action=AuditAction.EXPORT, object_type="person_list")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10), ip="10.0.0.9")
    return person


def test_only_the_province_administrator_searches_the_trail(client, staff, make_user, units):
    client.force_login(staff.province)
    assert client.get("/accounts/audit/").status_code == 200
    for user in (staff.epidemiologist, staff.district, staff.commune,
                 make_user(Role.CITIZEN, username="0912345678")):
        client.force_login(user)
        assert client.get("/accounts/audit/").status_code == 403
        assert client.get("/accounts/audit/?export=xlsx").status_code == 403
    client.logout()
    assert client.get("/accounts/audit/").status_code == 302
    with pytest.raises(PermissionDenied):
        audit_events(user=staff.district, filters={})


def test_filters(staff, events):
    def find(**filters):
        return list(audit_events(user=staff.province, filters=filters))

    assert [e.actor_username for e in find(actor="district")] == ["district"]
    assert [e.action for e in find(action="update")] == ["update"]
    assert len(find(person_id=events)) == 1
    assert len(find(object_type="person")) == 2
    assert len(find(object_type="person", object_id="p2")) == 1
    assert len(find(ip="10.0.0.9")) == 1
    today = timezone.localdate()
    assert len(find(date_from=today - timedelta(days=1))) == 2
    assert len(find(date_to=today - timedelta(days=5))) == 1
    assert find(actor="nobody") == []
    # Newest first.
    ats = [e.at for e in find()]
    assert ats == sorted(ats, reverse=True)


def test_page_fetches_one_extra_row_instead_of_counting(staff, events, django_assert_num_queries):
    qs = audit_events(user=staff.province, filters={})
    with django_assert_num_queries(1):
        rows, has_next = page_of(qs, page=1, size=2)
    assert len(rows) == 2 and has_next
    rows, has_next = page_of(qs, page=2, size=2)
    assert len(rows) == 1 and not has_next


def test_search_page_and_viewing_is_audited(client, staff, events):
    client.force_login(staff.province)
    response = client.get("/accounts/audit/", {"actor": "commune", "action": "update"})
    assert response.status_code == 200
    assert [e.actor_username for e in response.context["rows"]] == ["commune"]
    seen = AuditEvent.objects.filter(action=AuditAction.SEARCH, object_type="audit_event", actor=staff.province).get()
    assert seen.detail["filters"] == {"actor": "commune", "action": "update"}


def test_bad_filters_show_errors_not_a_500(client, staff, events):
    client.force_login(staff.province)
    response = client.get("/accounts/audit/", {"person_id": "not-a-uuid", "date_from": "2021-13-45", "page": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors and response.context["rows"] == []
    swapped = client.get("/accounts/audit/", {"date_from": "2021-08-10", "date_to": "2021-08-01"})
    assert "date_to" in swapped.context["form"].errors


def test_export_to_excel(client, staff, events):
    client.force_login(staff.province)
    response = client.get("/accounts/audit/", {"object_type": "person", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3  # header + two person events
    assert {r[1] for r in rows[1:]} == {"district", "commune"}
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="audit_event").exists()
