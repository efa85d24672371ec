"""bulk_insert: rows written straight to the table read back exactly as the ORM would have written them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.core.db import bulk_insert
from lachan.notifications.models import Message, MessageStatus

pytestmark = pytest.mark.django_db


def test_bulk_insert_round_trips_every_field_type(make_user):
    user = make_user("writer")
    now = timezone.now()
    later = now + timedelta(minutes=5)
    keys = bulk_insert(Message, [
        {"channel": "sms", "to": "+84901234567", "template_code": "t", "language": "vi", "body": "Xin chào",
         "context": {"when": "10/08", "n": 2}, "sensitive": True, "next_attempt_at": later, "created_by": user},
        {"channel": "email", "to": "a@example.org", "template_code": "t", "language": "en", "body": "Hello"},
    ], now=now)
    assert len(keys) == 2 and keys[0] != keys[1]
    first, second = Message.objects.get(pk=keys[0]), Message.objects.get(pk=keys[1])
    assert first.context == {"when": "10/08", "n": 2} and first.sensitive is True
    assert first.next_attempt_at == later and first.created_at == now and first.changed_at == now
    assert first.created_by_id == user.pk and first.body == "Xin chào"
    # Defaults as the ORM gives them: model defaults, "" for text, None for nullable fields.
    assert second.status == MessageStatus.QUEUED and second.attempts == 0 and second.context == {}
    assert second.subject == "" and second.sent_at is None and second.sensitive is False


def test_bulk_insert_refuses_a_missing_required_value():
    from lachan.core.ids import uuid7
    from lachan.tracing.models import Contact

    with pytest.raises(ValueError, match="Contact.tier has no value"):
        bulk_insert(Contact, [{"index_case_id": uuid7(), "person_id": uuid7()}])
    assert not Contact.objects.exists()


def test_bulk_insert_of_nothing_writes_nothing():
    assert bulk_insert(Message, []) == []


def test_bulk_insert_values_shared_by_every_row_and_hex_ids(make_user):
    from lachan.core.ids import uuid7

    user, person = make_user("writer"), uuid7()
    later = timezone.now() + timedelta(minutes=5)
    keys = bulk_insert(Message, [{"to": "0912345678", "body": "a", "person_id": person.hex},
                                 {"to": "0912345679", "body": "b", "person_id": person}],
                       same={"channel": "sms", "template_code": "t", "language": "vi", "context": {"k": 1},
                             "sensitive": True, "next_attempt_at": later, "created_by_id": user.pk})
    rows = list(Message.objects.filter(pk__in=keys).order_by("body"))
    assert [m.body for m in rows] == ["a", "b"] and {m.person_id for m in rows} == {person}
    assert all(m.channel == "sms" and m.context == {"k": 1} and m.sensitive and m.next_attempt_at == later
               and m.created_by_id == user.pk for m in rows)


@pytest.mark.django_db
def test_values_in_q_selects_what_an_in_list_selects(units):
    """The jurisdictions' commune lists: on PostgreSQL one array parameter, the same rows as `__in`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.core.db import is_postgresql, values_in_q
    from lachan.geo.models import AdminUnit

    everyone = list(AdminUnit.objects.values_list("pk", flat=True))
    for values in ([units.commune.pk], [units.commune.pk, units.other_commune.pk, None, units.commune.pk], everyone,
                   [], [None], [-1]):
        wanted = set(AdminUnit.objects.filter(pk__in=[v for v in values if v is not None]).values_list("pk", flat=True))
        assert set(AdminUnit.objects.filter(values_in_q("id", values)).values_list("pk", flat=True)) == wanted
        assert set(AdminUnit.objects.exclude(values_in_q("id", values)).values_list("pk", flat=True)) == (
            set(everyone) - wanted)
    # Through a join, as the jurisdictions filter records by their person's commune.
    in_list = set(AdminUnit.objects.filter(parent__in=[units.district.pk]).values_list("pk", flat=True))
    assert set(AdminUnit.objects.filter(values_in_q("parent__id", [units.district.pk]))
               .values_list("pk", flat=True)) == in_list and in_list
    with CaptureQueriesContext(connection) as captured:
        list(AdminUnit.objects.filter(values_in_q("id", everyone)))
    if is_postgresql():
        assert "= ANY(" in captured.captured_queries[0]["sql"] and "IN (" not in captured.captured_queries[0]["sql"]
