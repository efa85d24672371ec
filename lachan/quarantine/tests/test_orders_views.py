"""Order and facility pages: the list (jurisdiction, filters, Excel, releasing the due ones), a new order from the
person search, an order's page and its changes, the PDFs, facilities and rooms."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lachan.quarantine import orders as order_services
from lachan.quarantine.models import Order
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def days(n):
    return timedelta(days=n)


def TODAY():  # noqa: N802
    return timezone.localdate()


def make(person, by, **kwargs):
    args = {"kind": "quarantine", "setting": "home", "starts_on": TODAY(), "exposed_on": TODAY() - days(1), **kwargs}
    return order_services.order_create(person=person, by=by, **args)


def test_the_list_is_scoped_filtered_and_exported(client, exercise, people, staff):
    running = make(people.here[0], staff.district)
    due = make(people.here[1], staff.district, starts_on=TODAY() - days(13), exposed_on=TODAY() - days(13))
    near = make(people.near[0], staff.district)
    client.force_login(staff.commune)
    page = client.get(reverse("quarantine:orders"))
    assert page.status_code == 200
    body = page.content.decode()
    assert running.code in body and due.code in body and near.code not in body
    assert "Tiền Giang exercise" in body
    page = client.get(reverse("quarantine:orders"), {"due": "today"})
    assert due.code in page.content.decode() and running.code not in page.content.decode()
    assert 'data-testid="release-form"' in page.content.decode()
    page = client.get(reverse("quarantine:orders"), {"q": people.here[0].phone})
    assert running.code in page.content.decode() and due.code not in page.content.decode()
    export = client.get(reverse("quarantine:order_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {running.code, due.code}
    client.force_login(staff.other_commune)
    assert running.code not in client.get(reverse("quarantine:orders")).content.decode()
    assert client.get(reverse("quarantine:order_detail", args=[running.pk])).status_code == 404
    assert client.get(reverse("quarantine:order_pdf", args=[running.pk])).status_code == 404
    # Releasing the ticked ones.
    client.force_login(staff.commune)
    answer = client.post(reverse("quarantine:orders_release"), {"order": [due.pk, running.pk], "back": "due=today"})
    assert answer.status_code == 302 and answer["Location"].endswith("?due=today")
    assert Order.objects.get(pk=due.pk).status == "released" and Order.objects.get(pk=running.pk).status == "active"


def test_a_new_order_from_the_person_search(client, exercise, people, staff, facilities):
    client.force_login(staff.commune)
    url = reverse("quarantine:order_create")
    page = client.get(url, {"q": "xa mot 2"})
    assert people.here[1].full_name in page.content.decode()
    assert people.far[0].full_name not in client.get(url, {"q": "go cong"}).content.decode()
    person = people.here[1]
    bad = client.post(f"{url}?person={person.pk}", {"person": person.pk, "kind": "quarantine", "setting": "home",
                                                   "starts_on": TODAY().isoformat(), "immunity": "unknown",
                                                   "ends_on": (TODAY() - days(2)).isoformat()})
    assert bad.status_code == 200 and "The order ends before it starts." in bad.content.decode()
    full = client.post(url, {"person": person.pk, "kind": "quarantine", "setting": "facility",
                             "starts_on": TODAY().isoformat(), "immunity": "unknown", "exposed_on": TODAY().isoformat()})
    assert "Choose the facility." in full.content.decode()
    answer = client.post(url, {"person": person.pk, "kind": "quarantine", "setting": "facility",
                               "starts_on": TODAY().isoformat(), "exposed_on": TODAY().isoformat(),
                               "immunity": "vaccinated", "room": str(facilities.room_b.pk)})
    order = Order.objects.get(person=person)
    assert answer.status_code == 302 and answer["Location"] == reverse("quarantine:order_detail", args=[order.pk])
    assert (order.room, order.immunity, order.ends_on) == (facilities.room_b, "vaccinated", TODAY() + days(6))
    again = client.post(url, {"person": person.pk, "kind": "quarantine", "setting": "home",
                              "starts_on": TODAY().isoformat(), "immunity": "unknown"})
    assert "already has order" in again.content.decode()


def test_an_order_page_and_its_changes(client, exercise, people, staff, facilities):
    order = make(people.here[0], staff.commune)
    client.force_login(staff.commune)
    page = client.get(reverse("quarantine:order_detail", args=[order.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and order.code in body and 'data-testid="order-tests"' in body
    assert "day 1 of 13" in body and 'data-testid="monitoring-panel"' in body
    assert 'data-testid="release"' not in body  # not due yet
    answer = client.post(reverse("quarantine:order_extend", args=[order.pk]),
                         {"ends_on": (order.ends_on + days(3)).isoformat(), "reason": "Ho, sốt"})
    assert answer.status_code == 302
    refused = client.post(reverse("quarantine:order_extend", args=[order.pk]),
                          {"ends_on": order.ends_on.isoformat(), "reason": "x"})
    assert "to shorten the order, end it early" in refused.content.decode()
    answer = client.post(reverse("quarantine:order_move", args=[order.pk]),
                         {"setting": "facility", "room": str(facilities.room_a.pk), "reason": "Nhà chật"})
    assert answer.status_code == 302
    assert Order.objects.get(pk=order.pk).room == facilities.room_a
    empty = client.post(reverse("quarantine:order_end", args=[order.pk]), {"reason": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    answer = client.post(reverse("quarantine:order_end", args=[order.pk]), {"reason": "Nhầm người"})
    assert answer.status_code == 302 and Order.objects.get(pk=order.pk).status == "ended_early"
    page = client.get(reverse("quarantine:order_detail", args=[order.pk])).content.decode()
    assert "Nhầm người" in page and "Ho, sốt" in page
    # An ended order's change pages send back to it.
    assert client.get(reverse("quarantine:order_extend", args=[order.pk])).status_code == 302
    pdf = client.get(reverse("quarantine:order_pdf", args=[order.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    certificate = client.get(reverse("quarantine:order_certificate", args=[order.pk]))
    assert certificate.status_code == 302  # not released


def test_release_from_the_order_page(client, exercise, people, staff):
    order = make(people.here[0], staff.commune, starts_on=TODAY() - days(13), exposed_on=TODAY() - days(13))
    client.force_login(staff.commune)
    assert 'data-testid="release"' in client.get(reverse("quarantine:order_detail", args=[order.pk])).content.decode()
    answer = client.post(reverse("quarantine:order_release", args=[order.pk]))
    assert answer.status_code == 302 and Order.objects.get(pk=order.pk).status == "released"
    page = client.get(reverse("quarantine:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="certificate-pdf"' in page
    assert client.get(reverse("quarantine:order_certificate", args=[order.pk])).content.startswith(b"%PDF")
    # The IOC operator reads, does not change.
    from lachan.accounts.models import User
    from lachan.accounts.roles import Role
    ioc = User.objects.create(username="ioc", role=Role.IOC_OPERATOR, jurisdiction_unit=staff.province.jurisdiction_unit)
    client.force_login(ioc)
    assert client.get(reverse("quarantine:order_detail", args=[order.pk])).status_code == 200
    assert client.get(reverse("quarantine:order_create")).status_code == 403


def test_facility_pages(client, exercise, people, staff, units, facilities):
    make(people.here[0], staff.district, setting="facility", facility=facilities.camp, room=facilities.room_b,
         exposed_on=TODAY())
    client.force_login(staff.district)
    page = client.get(reverse("quarantine:facilities")).content.decode()
    assert "Khu cách ly Trường Quân sự" in page and "Bệnh viện dã chiến số 1" in page
    detail = client.get(reverse("quarantine:facility_detail", args=[facilities.camp.pk])).content.decode()
    assert "1 of 3 in use today, 2 free" in detail and people.here[0].full_name in detail
    answer = client.post(reverse("quarantine:room_create", args=[facilities.camp.pk]), {"name": "C", "beds": "4"})
    assert answer.status_code == 302 and facilities.camp.rooms.count() == 3
    dup = client.post(reverse("quarantine:room_create", args=[facilities.camp.pk]), {"name": "C", "beds": "4"})
    assert dup.status_code == 400 and "already has a room C" in dup.content.decode()
    answer = client.post(reverse("quarantine:room_edit", args=[facilities.room_b.pk]), {"name": "B", "beds": "0"})
    assert answer.status_code == 302
    facilities.room_b.refresh_from_db()
    assert facilities.room_b.beds == 1
    answer = client.post(reverse("quarantine:facility_create"), {"name": "Ký túc xá", "commune": units.commune2.pk})
    assert answer.status_code == 302
    bad = client.post(reverse("quarantine:facility_create"), {"name": "", "commune": units.commune2.pk})
    assert bad.status_code == 400
    client.force_login(staff.other_commune)
    assert client.get(reverse("quarantine:facility_detail", args=[facilities.camp.pk])).status_code == 404


def test_the_navigation_leads_to_the_orders(client, staff):
    client.force_login(staff.commune)
    answer = client.get(reverse("web:capability", args=["quarantine"]))
    assert answer.status_code == 302 and answer["Location"] == reverse("quarantine:orders")
