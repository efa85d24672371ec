"""A confirmed case who checks in at a venue a minute after being confirmed (item 21 of issue 12): the visit is
recorded, the person is told to go home and isolate (QR page, API one and batch, the fast path), and the commune
station monitoring their isolation gets one alert, which the operations centre's feed shows."""

import json

import pytest
from django.http import HttpResponse
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.cases.services import case_confirm, case_set_status
from lachan.quarantine.models import Alert, AlertKind
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.venues import qr
from lachan.venues.checkin_fast_path import BATCH_PATH, CHECKIN_PATH, CheckInFastPath
from lachan.venues.models import CheckIn
from lachan.venues.services import venue_register
from lachan.venues.tests.test_checkin_fast_path import call
from lachan.venues.views import _remember
from lachan.workflows.operations import operations_feed
from lachan.workflows.quarantine_orders import case_isolate

pytestmark = pytest.mark.django_db


@pytest.fixture
def isolating(exercise, people, staff, units, make_user, token_for):
    """A case confirmed a minute ago, isolating at home in the commune; a venue in the other district."""
    owner = make_user(Role.VENUE_OWNER, username="owner")
    venue = venue_register(by=owner, name="Quán cà phê Gió", kind="cafe", size="small", address="12 Lê Lợi",
                           commune=units.other_commune)
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=timezone.localdate(),
                        origin="community", by=staff.province)
    order = case_isolate(case=case, by=staff.district, setting="home")
    return case, order, venue, token_for(owner)["HTTP_AUTHORIZATION"]


def test_the_api_records_the_visit_sends_the_case_home_and_alerts_the_station(isolating, people, staff, client):
    case, order, venue, token = isolating
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id), "client_key": "k-1"}
    answer = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                         HTTP_AUTHORIZATION=token)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["must_isolate"] is True and "go home" in body["advice"]
    assert CheckIn.objects.filter(person=case.person, venue=venue).count() == 1  # tracing needs the visit
    alert = Alert.objects.get()
    assert (alert.kind, alert.order_id, alert.commune_id) == (AlertKind.VIOLATION, order.pk, order.commune_id)
    assert alert.detail["venue"] == "Quán cà phê Gió"
    # the commune station of the case sees it in the operations feed; the venue's commune does not
    assert f"alert-{alert.pk}" in {i.id for i in operations_feed(user=staff.commune)}
    assert f"alert-{alert.pk}" not in {i.id for i in operations_feed(user=staff.other_commune)}
    # a retry is the same visit: told again, no second alert
    again = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                        HTTP_AUTHORIZATION=token).json()
    assert again["must_isolate"] is True and Alert.objects.count() == 1
    # someone else checking in is not told anything
    other = {"qr": qr.qr_token(venue), "person_id": str(people.here[1].pk)}
    plain = client.post("/api/venues/checkins", json.dumps(other), content_type="application/json",
                        HTTP_AUTHORIZATION=token).json()
    assert (plain["must_isolate"], plain["advice"]) == (False, "")


def test_a_batch_through_the_fast_path_flags_only_the_case(isolating, people):
    from django.core.handlers.wsgi import WSGIHandler

    case, _order, venue, token = isolating
    code = qr.qr_token(venue)
    items = [{"qr": code, "person_id": str(people.here[1].pk)}, {"qr": code, "person_id": str(case.person_id)}]
    answer = call(CheckInFastPath(WSGIHandler()), BATCH_PATH, {"checkins": items}, token=token).json()
    assert [r["checkin"]["must_isolate"] for r in answer["results"]] == [False, True]
    assert Alert.objects.filter(kind=AlertKind.VIOLATION).count() == 1
    single = call(CheckInFastPath(WSGIHandler()), CHECKIN_PATH, {"qr": code, "person_id": str(case.person_id)},
                  token=token).json()
    assert single["must_isolate"] is True


def test_a_recovered_case_or_a_visit_before_confirmation_is_not_flagged(isolating, staff, client):
    case, _order, venue, token = isolating
    before = (case.confirmed_at - timezone.timedelta(hours=2)).isoformat()
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id), "checked_in_at": before}
    body = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                       HTTP_AUTHORIZATION=token).json()
    assert body["must_isolate"] is False and not Alert.objects.exists()
    case_set_status(case=case, status="recovered", by=staff.province)
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id)}
    body = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                       HTTP_AUTHORIZATION=token).json()
    assert body["must_isolate"] is False and not Alert.objects.exists()


def test_the_qr_page_tells_the_case_to_go_home(isolating, client):
    case, _order, venue, _token = isolating
    remembered = HttpResponse()
    _remember(remembered, case.person)
    client.cookies.update(remembered.cookies)
    url = f"/c/{qr.qr_token(venue)}"
    response = client.post(url, {"action": "checkin"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b'data-testid="checkin-isolate"' in page.content and b"go home" in page.content.lower()
    assert CheckIn.objects.filter(person=case.person).count() == 1 and Alert.objects.count() == 1
