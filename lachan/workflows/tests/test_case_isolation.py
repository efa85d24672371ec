"""Item 21 of issue 12: the cases list said every case isolates at home while the dashboard counted orders (and
one starting tomorrow). One rule now (lachan.cases.isolation, lachan.workflows.case_isolation): the isolation
order in force today, for the cases list, the case page and the operations centre's count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.cases.services import case_confirm, case_set_status
from lachan.quarantine import services as orders
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.workflows import operations as ops
from lachan.workflows.quarantine_orders import case_isolate

pytestmark = pytest.mark.django_db


def test_one_isolation_state_for_the_list_the_page_and_the_dashboard(exercise, people, staff, facilities, client):
    today = timezone.localdate()

    def confirm(person):
        return case_confirm(person=person, onset_date=None, sample_date=today, origin="community", by=staff.province)

    no_order, in_facility, tomorrow, hospital = (confirm(p) for p in people.here[:4])
    case_isolate(case=in_facility, by=staff.district, setting="facility", facility=facilities.ward,
                 room=facilities.ward_room)
    orders.order_create(person=tomorrow.person, kind="isolation", setting="home", starts_on=today + timedelta(days=1),
                        case=tomorrow, by=staff.district)
    case_set_status(case=hospital, status="hospital", by=staff.province)

    client.force_login(staff.province)
    page = client.get(reverse("cases:list")).content.decode()
    rows = {case.code: page.split(case.code, 1)[1].split("</tr>")[0] for case in (no_order, in_facility, tomorrow,
                                                                                  hospital)}
    assert "no isolation order in force" in rows[no_order.code]
    assert "isolating in a facility" in rows[in_facility.code]
    assert "no isolation order in force" in rows[tomorrow.code]  # not in force before tomorrow
    assert "in hospital" in rows[hospital.code]
    detail = client.get(reverse("cases:detail", args=[tomorrow.pk])).content.decode()
    assert "no isolation order in force" in detail.split('data-testid="case-isolation"')[1][:80]

    found = ops.quarantine_now(ops.ops_scope(staff.province))
    assert (found["isolation"], found["isolation_facility"], found["isolation_home"]) == (1, 1, 0)
