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
from lachan.situation.feed import operations_feed
from lachan.venues import qr
from lachan.venues.checkin_fast_path import BATCH_PATH, CHECKIN_PATH, CheckInFastPath
from lachan.venues.models import CheckIn
from lachan.venues.services import venue_register
from lachan.venues.tests.test_checkin_fast_path import call
from lachan.venues.views import _remember
from lachan.workflows.quarantine_orders import case_isolate

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe(exercise, units, make_user, token_for):
    """A venue in the other district and its owner's API token."""
    owner = make_user(Role.VENUE_OWNER, username="owner")
    venue = venue_register(by=owner, name="Quán cà phê Gió", kind="cafe", size="small", address="12 Lê Lợi",
                           commune=units.other_commune)
    return venue, token_for(owner)["HTTP_AUTHORIZATION"]


@pytest.fixture
def isolating(cafe, people, staff):
    """A case confirmed a minute ago, isolating at home in the commune; a venue in the other district."""
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=timezone.localdate(),
                        origin="community", by=staff.province)
    order = case_isolate(case=case, by=staff.district, setting="home")
    return case, order, *cafe


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


# ---- a case with no order in force --------------------------------------------------------------------------

def _without_order(situation, case, staff):
    """No order yet; an order that ended (early, yesterday); an order starting tomorrow."""
    from lachan.quarantine import orders

    today = timezone.localdate()
    if situation == "ended":
        order = orders.order_create(person=case.person, kind="isolation", setting="home", case=case,
                                    starts_on=today - timezone.timedelta(days=1), by=staff.district)
        orders.order_end_early(order=order, reason="Nhập nhầm địa chỉ", on=today - timezone.timedelta(days=1),
                               by=staff.district)
    elif situation == "tomorrow":
        orders.order_create(person=case.person, kind="isolation", setting="home", case=case,
                            starts_on=today + timezone.timedelta(days=1), by=staff.district)


@pytest.fixture
def unordered(cafe, people, staff):
    """A case confirmed a minute ago, without an isolation order yet; a venue in the other district."""
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=timezone.localdate(),
                        origin="community", by=staff.province)
    return case, *cafe


def _told(commune):
    from lachan.notifications.models import Message

    return Message.objects.filter(template_code="quarantine.alert").exists()


def _station_sees(alert, staff):
    """The alert is in the queue (page and API) of the case's commune station, not in another commune's."""
    from lachan.quarantine.monitoring import alert_list

    assert list(alert_list(user=staff.commune)) == [alert]
    assert not alert_list(user=staff.other_commune).exists()
    assert f"alert-{alert.pk}" in {i.id for i in operations_feed(user=staff.commune)}
    assert f"alert-{alert.pk}" not in {i.id for i in operations_feed(user=staff.other_commune)}


@pytest.mark.parametrize("situation", ["none yet", "ended", "tomorrow"])
def test_a_case_without_an_order_in_force_is_sent_home_and_the_station_alerted(situation, unordered, staff, units,
                                                                                client):
    case, venue, token = unordered
    _without_order(situation, case, staff)
    staff.commune.phone = "0912000111"  # the station's phone, which the alert is sent to
    staff.commune.save(update_fields=["phone"])
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id), "client_key": "k-1"}
    body = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                       HTTP_AUTHORIZATION=token).json()
    assert body["must_isolate"] is True and "go home" in body["advice"]
    alert = Alert.objects.get()
    assert (alert.kind, alert.order_id, alert.person_id, alert.commune_id) == (
        AlertKind.VIOLATION, None, case.person_id, units.commune.pk)  # the station of the case's commune
    assert (alert.detail["case"], alert.detail["venue"]) == (case.code, "Quán cà phê Gió")
    _station_sees(alert, staff)
    # the station is told at once, as for an alert on an order: the case's code where the order's number would be
    from lachan.quarantine.monitoring.alerts import _alert_context, station_addresses
    assert _alert_context(alert, None)["code"] == case.code
    assert [channel for channel, _a, _l in station_addresses([units.commune.pk])[units.commune.pk]] == ["sms"]
    assert _told(units.commune)
    # a retry is the same visit; another visit adds to the open alert
    client.post("/api/venues/checkins", json.dumps(item), content_type="application/json", HTTP_AUTHORIZATION=token)
    item2 = {**item, "client_key": "k-2", "checked_in_at": (timezone.now() + timezone.timedelta(minutes=1)).isoformat()}
    client.post("/api/venues/checkins", json.dumps(item2), content_type="application/json", HTTP_AUTHORIZATION=token)
    assert Alert.objects.count() == 1


def test_without_an_order_the_batch_the_fast_path_and_the_page_alert_too(unordered, people, staff, client):
    from django.core.handlers.wsgi import WSGIHandler

    case, venue, token = unordered
    code = qr.qr_token(venue)
    items = [{"qr": code, "person_id": str(people.here[1].pk)}, {"qr": code, "person_id": str(case.person_id)}]
    answer = call(CheckInFastPath(WSGIHandler()), BATCH_PATH, {"checkins": items}, token=token).json()
    assert [r["checkin"]["must_isolate"] for r in answer["results"]] == [False, True]
    alert = Alert.objects.get()
    assert (alert.order_id, alert.person_id) == (None, case.person_id)
    _station_sees(alert, staff)
    Alert.objects.all().delete()
    CheckIn.objects.all().delete()  # a new visit, not the same one sent again
    single = call(CheckInFastPath(WSGIHandler()), CHECKIN_PATH, {"qr": code, "person_id": str(case.person_id)},
                  token=token).json()
    assert single["must_isolate"] is True and Alert.objects.filter(order=None, person=case.person).count() == 1
    Alert.objects.all().delete()
    CheckIn.objects.all().delete()
    remembered = HttpResponse()
    _remember(remembered, case.person)
    client.cookies.update(remembered.cookies)
    response = client.post(f"/c/{code}", {"action": "checkin"})
    page = client.get(response["Location"])
    assert b'data-testid="checkin-isolate"' in page.content
    assert Alert.objects.filter(order=None, person=case.person).count() == 1


def test_the_station_deals_with_an_alert_without_an_order_within_its_jurisdiction(unordered, staff, client):
    from lachan.core.errors import DomainError
    from lachan.quarantine.monitoring import alert_acknowledge, alert_close

    case, venue, token = unordered
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id)}
    client.post("/api/venues/checkins", json.dumps(item), content_type="application/json", HTTP_AUTHORIZATION=token)
    alert = Alert.objects.get()
    with pytest.raises(DomainError):
        alert_acknowledge(alert=alert, by=staff.other_commune)
    alert_acknowledge(alert=alert, by=staff.commune, note="Đã gọi, đang về nhà")
    client.force_login(staff.commune)
    page = client.get("/quarantine/alerts/").content.decode()
    assert 'data-testid="alert-no-order"' in page and case.code in page and "Quán cà phê Gió" in page
    assert case.person.full_name in client.get("/quarantine/alerts/", {"q": "nguoi xa mot"}).content.decode()
    api = client.get("/api/quarantine/alerts", HTTP_AUTHORIZATION=_token(staff.commune)).json()["items"]
    assert [(a["order_id"], a["order_code"], a["person_name"]) for a in api] == [(None, "", case.person.full_name)]
    assert client.get("/quarantine/alerts/export.xlsx").status_code == 200
    client.force_login(staff.other_commune)
    assert case.code not in client.get("/quarantine/alerts/").content.decode()
    alert_close(alert=alert, by=staff.commune)


def _token(user):
    from lachan.accounts.models import ApiToken

    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:8], key_hash=ApiToken.hash(raw))
    return f"Bearer {raw}"


@pytest.mark.parametrize("over", ["recovered", "period over", "released"])
def test_a_case_whose_isolation_is_over_checks_in_as_anyone(over, cafe, people, staff, client):
    """Over: marked recovered; or the isolation period of the policy in force on its first day (10 days in the
    exercise) is past, with no order in force; or its isolation order was released (completed)."""
    from lachan.quarantine import orders

    venue, token = cafe
    today = timezone.localdate()
    days_ago = {"recovered": 0, "period over": 12, "released": 2}[over]
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=today - timezone.timedelta(days=days_ago),
                        confirmed_at=timezone.now() - timezone.timedelta(days=days_ago), origin="community",
                        by=staff.province)
    if over == "recovered":
        case_set_status(case=case, status="recovered", by=staff.province)
    elif over == "released":  # the station shortened it to today (two negative tests, say) and released it
        order = orders.order_create(person=case.person, kind="isolation", setting="home", case=case,
                                    starts_on=today - timezone.timedelta(days=2), ends_on=today, by=staff.district)
        orders.order_release(order=order, on=today, by=staff.district)
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id)}
    body = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                       HTTP_AUTHORIZATION=token).json()
    assert body["must_isolate"] is False and not Alert.objects.exists()


def test_the_period_comes_from_the_policy_in_force(cafe, people, staff, client):
    """12 days after isolation: over under the exercise's 10 days; still infectious under a 14-day version."""
    from lachan.core.policies import policy_supersede
    from lachan.quarantine.tests.orders_fixtures import EXERCISE_RULES, regime

    venue, token = cafe
    rules = {**EXERCISE_RULES, "isolation": {k: regime(14, [14], count_from="start")
                                             for k in ("none", "vaccinated", "recovered")}}
    policy_supersede(kind="quarantine", version="14 ngày", valid_from=timezone.localdate() - timezone.timedelta(days=30),
                     rules=rules, source="Tests")
    case = case_confirm(person=people.here[0], onset_date=None,
                        sample_date=timezone.localdate() - timezone.timedelta(days=12),
                        confirmed_at=timezone.now() - timezone.timedelta(days=12), origin="community",
                        by=staff.province)
    item = {"qr": qr.qr_token(venue), "person_id": str(case.person_id)}
    body = client.post("/api/venues/checkins", json.dumps(item), content_type="application/json",
                       HTTP_AUTHORIZATION=token).json()
    assert body["must_isolate"] is True and Alert.objects.get().order_id is None
