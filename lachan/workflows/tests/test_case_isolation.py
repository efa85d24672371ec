"""Item 21 of issue 12: the cases list said every case isolates at home while the dashboard counted orders (and
one starting tomorrow). One rule now (lachan.cases.isolation, lachan.workflows.quarantine_orders.isolation): the isolation
order in force today, for the cases list, the case page and the operations centre's count."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.cases.services import case_confirm, case_set_status
from lachan.quarantine import orders
from lachan.quarantine.models import Order
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.situation import dashboard as ops
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


def _codes_and_labels(page: str) -> dict:
    """case code → the isolation label of its row, for the rows of a cases list page."""
    body = page.split('data-testid="cases-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>")[0]
    return dict(re.findall(r'<a href="/cases/[0-9a-f-]+/">([^<]+)</a>.*?data-testid="case-isolation">([^<]+)<',
                           body, re.S))


def test_the_list_filter_its_labels_and_the_dashboard_agree(exercise, people, staff, facilities, client, token_for):
    """Cases with an isolation order in force at home, one in a facility, one starting tomorrow, one ended early
    yesterday, one whose last day was yesterday (not yet released), none, and one in hospital with an order in
    force: the list's status filter selects exactly the cases its labels put in that state (page and API), and the
    dashboard counts the cases at home and in a facility."""
    from lachan.cases.isolation import Isolation

    today = timezone.localdate()
    yesterday = today - timedelta(days=1)

    def confirm(person, days_ago=0):
        return case_confirm(person=person, onset_date=None, sample_date=today - timedelta(days=days_ago),
                            origin="community", by=staff.province)

    home, facility, tomorrow, none = (confirm(p) for p in people.here[:4])
    ended, lapsed = confirm(people.here[4], days_ago=5), confirm(people.near[0], days_ago=5)
    hospital = confirm(people.near[1])
    case_isolate(case=home, by=staff.district, setting="home")
    case_isolate(case=facility, by=staff.district, setting="facility", facility=facilities.ward,
                 room=facilities.ward_room)
    orders.order_create(person=tomorrow.person, kind="isolation", setting="home", starts_on=today + timedelta(days=1),
                        case=tomorrow, by=staff.district)
    order = case_isolate(case=ended, by=staff.district, setting="home", starts_on=today - timedelta(days=5))
    orders.order_end_early(order=order, reason="Chuyển đi nơi khác", on=yesterday, by=staff.district)
    order = case_isolate(case=lapsed, by=staff.district, setting="home", starts_on=today - timedelta(days=5))
    Order.objects.filter(pk=order.pk).update(ends_on=yesterday)  # the release job has not run yet
    case_isolate(case=hospital, by=staff.district, setting="home")
    case_set_status(case=hospital, status="hospital", by=staff.province)
    expected = {Isolation.HOME: {home.code}, Isolation.FACILITY: {facility.code},
                Isolation.NONE: {tomorrow.code, none.code, ended.code, lapsed.code},
                Isolation.HOSPITAL: {hospital.code}, Isolation.RECOVERED: set(), Isolation.DECEASED: set()}

    client.force_login(staff.province)
    everything = _codes_and_labels(client.get(reverse("cases:list")).content.decode())
    labels = {state: str(state.label) for state in Isolation}
    assert everything == {code: labels[state] for state, codes in expected.items() for code in codes}
    auth = token_for(staff.province)
    for state, codes in expected.items():
        page = client.get(reverse("cases:list"), {"status": state.value}).content.decode()
        shown = _codes_and_labels(page) if codes else {}
        assert shown == {code: labels[state] for code in codes}, state
        if not codes:
            assert 'data-testid="cases-table"' not in page
        api = client.get("/api/cases/", {"status": state.value}, **auth).json()["items"]
        assert {item["code"]: item["isolation"] for item in api} == {code: state.value for code in codes}, state
    # the case statuses' former names filter on where the case isolates today, not on the stored status
    assert set(_codes_and_labels(client.get(reverse("cases:list"), {"status": "isolating_home"}).content.decode())) \
        == {home.code}
    assert {i["code"] for i in client.get("/api/cases/", {"status": "isolating_facility"}, **auth).json()["items"]} \
        == {facility.code}
    assert client.get("/api/cases/", {"status": "at_the_beach"}, **auth).status_code == 422
    assert client.get(reverse("cases:list"), {"status": "at_the_beach"}).status_code == 200  # the whole list
    assert client.get(f"/api/cases/{tomorrow.pk}", **auth).json()["isolation"] == "none"
    moved = client.post(f"/api/cases/{home.pk}/status", {"status": "hospital"}, content_type="application/json", **auth)
    assert moved.json()["isolation"] == "hospital"
    case_set_status(case=home, status="isolating_home", by=staff.province)

    found = ops.quarantine_now(ops.ops_scope(staff.province))
    assert (found["isolation"], found["isolation_home"], found["isolation_facility"]) == (2, 1, 1)


def test_the_filter_is_one_query_without_python_over_the_cases(exercise, people, staff):
    """The state is filtered in the database: a filtered list is one query over the cases (the orders in force
    as EXISTS subqueries), whatever the number of cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lachan.cases.selectors import case_list

    today = timezone.localdate()
    for person in people.here:
        case_confirm(person=person, onset_date=None, sample_date=today, origin="community", by=staff.province)
    for state, n in (("none", 5), ("home", 0), ("facility", 0)):
        with CaptureQueriesContext(connection) as queries:
            assert case_list(user=staff.province, isolation=state).count() == n
        on_cases = [q["sql"] for q in queries.captured_queries if "cases_case" in q["sql"]]
        assert len(on_cases) == 1 and "EXISTS" in on_cases[0], on_cases
