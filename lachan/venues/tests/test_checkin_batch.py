"""The scanner devices' batch check-in API, and the per-process shortcuts the check-in path takes
(scope decided in Python, rules and tokens cached)."""

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.roles import Role
from lachan.people.models import Person
from lachan.venues import qr, selectors, services
from lachan.venues.api import MAX_BATCH
from lachan.venues.models import CheckIn

pytestmark = pytest.mark.django_db

BATCH = "/api/venues/checkins/batch"


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def _people(units, n):
    return [Person.objects.create(full_name=f"Người {i}", search_name=f"nguoi {i}", phone=f"09120000{i:02d}",
                                  commune=units.commune) for i in range(n)]


def test_batch_answers_each_item_in_order(client, owner, venue, units, token_for, make_user):
    auth = token_for(owner)
    token = qr.qr_token(venue)
    a, b, c = _people(units, 3)
    merged = Person.objects.create(full_name="Cũ", search_name="cu", commune=units.commune, merged_into=a)
    before = timezone.now() - timedelta(minutes=30)
    items = [
        {"qr": token, "person_id": str(a.pk), "client_key": "k1"},
        {"qr": token, "person_id": str(b.pk), "client_key": "k2", "checked_in_at": before.isoformat()},
        {"qr": "nonsense", "person_id": str(c.pk), "client_key": "k3"},
        {"qr": token, "person_id": str(c.pk), "client_key": "k" * 65},
        {"qr": token, "person_id": str(merged.pk), "client_key": "k5"},
        {"qr": token, "client_key": "k6"},
        {"qr": token, "person_id": str(c.pk), "checked_in_at": (timezone.now() + timedelta(hours=1)).isoformat()},
        {"qr": token, "person_id": str(a.pk), "client_key": "k1"},  # the first item again in the same batch
        {"qr": token, "person_id": str(c.pk)},
    ]
    response = post(client, BATCH, {"checkins": items}, **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["existing"], body["failed"]) == (3, 1, 5)
    results = body["results"]
    assert [r["status"] for r in results] == [201, 201, 400, 400, 404, 400, 400, 200, 201]
    assert [r["error"]["code"] if r["error"] else None for r in results] == [
        None, None, "venue_qr_malformed", "checkin_client_key_invalid", "checkin_person_unknown",
        "checkin_person_unknown", "checkin_time_future", None, None]
    assert results[7]["checkin"]["id"] == results[0]["checkin"]["id"]
    assert abs(datetime.fromisoformat(results[1]["checkin"]["checked_in_at"]) - before) < timedelta(milliseconds=1)
    assert CheckIn.objects.count() == 3 and set(CheckIn.objects.values_list("source", flat=True)) == {"api"}
    assert all(r["checkin"] is None for r in results if r["error"])

    # The scanner did not get the answer and sends the whole batch again: nothing new is written.
    again = post(client, BATCH, {"checkins": items}, **auth).json()
    assert (again["created"], again["existing"], again["failed"]) == (0, 4, 5)
    assert [r["checkin"]["id"] for r in again["results"] if r["checkin"]] == \
        [r["checkin"]["id"] for r in results if r["checkin"]]
    assert CheckIn.objects.count() == 3


def test_batch_second_scan_within_dedupe_window_is_the_same_visit(client, owner, venue, units, token_for):
    auth = token_for(owner)
    (a,) = _people(units, 1)
    token = qr.qr_token(venue)
    first = timezone.now() - timedelta(minutes=8)
    items = [{"qr": token, "person_id": str(a.pk), "checked_in_at": first.isoformat()},
             {"qr": token, "person_id": str(a.pk), "checked_in_at": (first + timedelta(minutes=3)).isoformat()}]
    body = post(client, BATCH, {"checkins": items}, **auth).json()
    assert [r["status"] for r in body["results"]] == [201, 200]
    assert body["results"][0]["checkin"]["id"] == body["results"][1]["checkin"]["id"]
    # and against a stored one, in a later batch
    later = post(client, BATCH, {"checkins": [{"qr": token, "person_id": str(a.pk)}]}, **auth).json()
    assert later["results"][0]["status"] == 200 and CheckIn.objects.count() == 1


def test_batch_size_and_shape_are_checked(client, owner, venue, units, token_for):
    auth = token_for(owner)
    (a,) = _people(units, 1)
    item = {"qr": qr.qr_token(venue), "person_id": str(a.pk)}
    assert post(client, BATCH, {"checkins": []}, **auth).status_code == 422
    too_many = post(client, BATCH, {"checkins": [item] * (MAX_BATCH + 1)}, **auth)
    assert too_many.status_code == 422 and too_many.json()["code"] == "invalid"
    assert post(client, BATCH, {"checkins": [{"qr": 5, "person_id": "not-a-uuid"}]}, **auth).status_code == 422
    assert post(client, BATCH, [item], **auth).status_code == 422
    assert post(client, BATCH, {"checkins": [item]}).status_code == 401
    assert not CheckIn.objects.exists()


def test_batch_scope_per_venue(client, owner, venue, units, token_for, staff, make_user):
    other_owner = make_user(Role.VENUE_OWNER)
    elsewhere = services.venue_register(by=other_owner, name="Karaoke Sao", kind="karaoke", size="small",
                                        commune=units.other_commune)
    (a,) = _people(units, 1)
    items = [{"qr": qr.qr_token(venue), "person_id": str(a.pk)}, {"qr": qr.qr_token(elsewhere), "person_id": str(a.pk)}]
    for user, expected in ((owner, [201, 404]), (staff.other_commune, [404, 201]), (staff.province, [200, 200])):
        body = post(client, BATCH, {"checkins": items}, **token_for(user)).json()
        assert [r["status"] for r in body["results"]] == expected, user
    assert body["results"][0]["error"] is None
    assert CheckIn.objects.count() == 2


def test_batch_citizen_checks_in_only_self(client, venue, person, make_user, token_for, units):
    citizen = make_user(Role.CITIZEN)
    auth = token_for(citizen)
    token = qr.qr_token(venue)
    unlinked = post(client, BATCH, {"checkins": [{"qr": token}]}, **auth).json()
    assert unlinked["results"][0]["error"]["code"] == "checkin_person_unknown"
    Person.objects.filter(pk=person.pk).update(account=citizen)
    (other,) = _people(units, 1)
    body = post(client, BATCH, {"checkins": [{"qr": token, "client_key": "c1"},
                                             {"qr": token, "person_id": str(other.pk)}]}, **auth).json()
    assert [r["status"] for r in body["results"]] == [201, 404]
    assert body["results"][0]["checkin"]["person_id"] == str(person.pk)
    assert CheckIn.objects.get().source == "qr"


def test_closed_venue_refused_in_batch(client, owner, venue, units, token_for):
    (a,) = _people(units, 1)
    venue.place.is_active = False
    venue.place.save(update_fields=["is_active"])
    body = post(client, BATCH, {"checkins": [{"qr": qr.qr_token(venue), "person_id": str(a.pk)}]},
                **token_for(owner)).json()
    assert body["results"][0]["error"]["code"] == "venue_inactive" and not CheckIn.objects.exists()


def test_records_many_with_few_queries(venue, units):
    people = _people(units, 40)
    items = [services.CheckInItem(venue=venue, person=p.pk, client_key=f"q{i}") for i, p in enumerate(people)]
    with CaptureQueriesContext(connection) as queries:
        results = services.checkins_record(items=items, source="api")
    assert all(created for _checkin, created in results)
    # rules, the lookup, the INSERT (+ transaction), the follow-ups' look-up of cases (venues.signals)
    assert len(queries) <= 6, [q["sql"][:80] for q in queries]
    assert CheckIn.objects.count() == 40 and all(c.pk for c, _ in results)


def test_concurrent_retry_falls_back_to_the_stored_one(venue, person, monkeypatch):
    """The lookup missed a retry that another request stored meanwhile: the unique client key catches
    it and the item answers with the stored check-in; the others of the batch are still written."""
    (stored, _) = services.checkin_create(venue=venue, person=person, client_key="race")
    other = Person.objects.create(full_name="B", search_name="b", commune=person.commune)
    monkeypatch.setattr(services, "_checkins_near", lambda valid, **_kw: ({}, {}, None))
    items = [services.CheckInItem(venue=venue, person=person.pk, client_key="race"),
             services.CheckInItem(venue=venue, person=other.pk, client_key="fresh"),
             services.CheckInItem(venue=venue, person=person.pk, client_key="race")]
    results = services.checkins_record(items=items, source="api")
    assert results[0] == (stored, False) and results[2] == (stored, False)
    assert results[1][1] is True and CheckIn.objects.count() == 2


def test_venue_in_scope_agrees_with_the_query(owner, venue, staff, units, make_user):
    from lachan.venues.qr import qr_verify

    other_owner = make_user(Role.VENUE_OWNER)
    elsewhere = services.venue_register(by=other_owner, name="Karaoke Sao", kind="karaoke", size="small",
                                        commune=units.other_commune)
    bound = make_user(Role.VENUE_OWNER, place=elsewhere.place)  # a venue's staff account, by place
    users = [owner, other_owner, bound, make_user(Role.CITIZEN), *vars(staff).values()]
    inactive = make_user(Role.PROVINCE_ADMIN, unit=units.province, is_active=False)
    users.append(inactive)
    for user in users:
        for v in (venue, elsewhere):
            loaded = qr_verify(qr.qr_token(v))
            expected = selectors.venues_in_scope(user).filter(pk=v.pk).exists()
            assert selectors.venue_in_scope(user, loaded) is expected, (user.username, v)


def test_rules_are_cached_and_a_new_policy_version_clears_them(venue, person, monkeypatch):
    from lachan.core.models import Policy
    from lachan.venues.policy import checkin_rules

    today = timezone.localdate()
    Policy.objects.filter(kind="tracing").delete()
    assert checkin_rules(today).dedupe_minutes == 10
    with CaptureQueriesContext(connection) as queries:
        checkin_rules(today)
    assert len(queries) == 0
    Policy.objects.create(kind="tracing", version="short-dedupe", valid_from=today - timedelta(days=30),
                          rules={"dedupe_minutes": 2})
    assert checkin_rules(today).dedupe_minutes == 2
    first, _ = services.checkin_create(venue=venue, person=person, checked_in_at=timezone.now() - timedelta(minutes=5))
    second, created = services.checkin_create(venue=venue, person=person)
    assert created and second.pk != first.pk  # five minutes apart is past the 2-minute window


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_concurrent_retry_is_caught_too(units, monkeypatch):
    """The API runs in autocommit mode, where one INSERT is written without BEGIN / COMMIT: a clash
    with a retry stored meanwhile must still answer with the stored check-in."""
    from django.db import connection as conn

    owner_venue = services.venue_register(by=system_actor("tests"), name="Chợ Mỹ Tho", kind="market", size="large",
                                          commune=units.commune)
    a, b = _people(units, 2)
    stored, _ = services.checkin_create(venue=owner_venue, person=a, client_key="race")
    monkeypatch.setattr(services, "_checkins_near", lambda valid, **_kw: ({}, {}, None))
    assert not conn.in_atomic_block
    (result,) = services.checkins_record(items=[services.CheckInItem(venue=owner_venue, person=a.pk,
                                                                     client_key="race")], source="api")
    assert result == (stored, False)
    (fresh,) = services.checkins_record(items=[services.CheckInItem(venue=owner_venue, person=b.pk)], source="api")
    assert fresh[1] is True and CheckIn.objects.get(pk=fresh[0].pk).person_id == b.pk


def test_venue_read_once_then_kept_briefly_and_forgotten_when_changed(client, owner, venue, units, token_for):
    a, b = _people(units, 2)
    token, auth = qr.qr_token(venue), token_for(owner)
    assert post(client, BATCH, {"checkins": [{"qr": token, "person_id": str(a.pk)}]}, **auth).status_code == 200
    with CaptureQueriesContext(connection) as queries:  # the second scan of the door's code: no venue query
        post(client, BATCH, {"checkins": [{"qr": token, "person_id": str(b.pk)}]}, **auth)
    assert not [q for q in queries if "venues_venue" in q["sql"] and q["sql"].lstrip().startswith("SELECT")]
    venue.place.is_active = False  # closed in this process: refused at once, not after the cache's seconds
    venue.place.save(update_fields=["is_active"])
    body = post(client, BATCH, {"checkins": [{"qr": token, "person_id": str(a.pk), "client_key": "late"}]},
                **auth).json()
    assert body["results"][0]["error"]["code"] == "venue_inactive"


def test_a_device_check_in_is_one_lookup_and_one_insert(owner, venue, units):
    """The person given by id is looked up in the same query as the earlier check-ins (a round trip
    less per scan on PostgreSQL); an unknown or merged person is still refused, and nothing is written."""
    from lachan.venues.api import CheckInIn, checkin_answer

    a, b, c = _people(units, 3)
    b.merged_into = a
    b.save(update_fields=["merged_into"])
    token = qr.qr_token(venue)
    checkin_answer(owner, CheckInIn(qr=token, person_id=c.pk, client_key="warm"))  # rules and venue now cached
    with CaptureQueriesContext(connection) as queries:
        status, body = checkin_answer(owner, CheckInIn(qr=token, person_id=a.pk, client_key="one"))
    assert status == 201 and body["person_id"] == a.pk
    statements = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]  # the test's transaction
    # + one indexed SELECT of the follow-ups (venues.signals): is the person a case to send home?
    assert statements == ["SELECT", "INSERT", "SELECT"], [q["sql"][:80] for q in queries]
    for person_id in (b.pk, "00000000-0000-7000-8000-000000000009"):
        with pytest.raises(services.NotFound) as refused:
            checkin_answer(owner, CheckInIn(qr=token, person_id=person_id, client_key="x"))
        assert refused.value.code == "checkin_person_unknown"
    assert CheckIn.objects.count() == 2
