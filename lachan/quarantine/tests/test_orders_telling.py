"""A new order is told to its person (SMS with the daily check-in link): at once for a few orders, by the
background worker for a bulk creation; nothing when the creation is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lachan.notifications.models import Message
from lachan.quarantine import links
from lachan.quarantine import orders as order_services
from lachan.quarantine.models import Order
from lachan.quarantine.monitoring import notify as monitoring
from lachan.quarantine.monitoring.notify import orders_notify_task
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_an_order_made_through_the_api_is_told_with_the_link(client, token_for, exercise, people, staff):
    person = people.here[0]
    response = client.post("/api/quarantine/orders", {"person_id": str(person.pk), "kind": "quarantine",
                                                       "starts_on": timezone.localdate().isoformat()},
                           content_type="application/json", **token_for(staff.commune))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    message = Message.objects.get(person_id=person.pk, template_code=monitoring.ORDER_NOTICE_TEMPLATE)
    assert message.to == person.phone and links.link_path(order) in message.body
    assert message.body.count("http://testserver/") == 1

    refused = client.post("/api/quarantine/orders", {"person_id": str(person.pk), "kind": "quarantine",
                                                      "starts_on": timezone.localdate().isoformat()},
                          content_type="application/json", **token_for(staff.commune))
    assert refused.status_code == 400
    assert Message.objects.filter(person_id=person.pk).count() == 1


def test_people_without_a_phone_are_left_to_the_station(exercise, people, staff):
    person = people.here[1]
    person.phone = ""
    person.save(update_fields=["phone"])
    order = order_services.order_create(person=person, kind="quarantine", setting="home",
                                  starts_on=timezone.localdate(), by=staff.commune, notify=True)
    assert order.pk and not Message.objects.filter(person_id=person.pk).exists()


def test_a_bulk_creation_is_told_by_the_worker(exercise, people, staff, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(monitoring, "NOTIFY_AT_ONCE_MAX", 2)
    items = [order_services.OrderIn(person=p, kind="quarantine", setting="home", starts_on=timezone.localdate(),
                              exposed_on=timezone.localdate() - timedelta(days=1)) for p in people.here]
    with django_capture_on_commit_callbacks(execute=True):
        result = order_services.orders_create_many(items=items, by=staff.commune, notify=True)
    assert len(result.created) == 5 and not Message.objects.exists()  # nothing at once
    queued = [row.args_kwargs["kwargs"] for row in DBTaskResult.objects.filter(task_path__endswith="orders_notify_task")]
    assert len(queued) == 1 and len(queued[0]["order_ids"]) == 5 and queued[0]["actor_id"] == staff.commune.pk
    told = orders_notify_task.call(**queued[0])
    assert told == 5 and Message.objects.filter(template_code=monitoring.ORDER_NOTICE_TEMPLATE).count() == 5


def test_a_telling_task_run_again_tells_nobody_twice(exercise, people, staff, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    """Its worker killed after the telling committed, the task is run again (core.workers): each order is told
    once. A station's own "tell again" still sends."""
    monkeypatch.setattr(monitoring, "NOTIFY_AT_ONCE_MAX", 2)
    items = [order_services.OrderIn(person=p, kind="quarantine", setting="home", starts_on=timezone.localdate(),
                              exposed_on=timezone.localdate() - timedelta(days=1)) for p in people.here]
    with django_capture_on_commit_callbacks(execute=True):
        order_services.orders_create_many(items=items, by=staff.commune, notify=True)
    (queued,) = [row.args_kwargs["kwargs"] for row in DBTaskResult.objects.filter(task_path__endswith="orders_notify_task")]
    assert orders_notify_task.call(**queued) == 5
    assert orders_notify_task.call(**queued) == 0
    notices = Message.objects.filter(template_code=monitoring.ORDER_NOTICE_TEMPLATE)
    assert notices.count() == 5 and Order.objects.filter(told_at__isnull=True).count() == 0
    monitoring.order_notify(order=Order.objects.get(person=people.here[0]), by=staff.commune)
    assert notices.count() == 6
