"""Citizens' result look-up: the page at /ket-qua/ and POST /api/labs/results/lookup — success, wrong date of
birth answered like an unknown code, results not released yet, pooled tubes, the last 4 digits, rate limits
and the audit trail."""

import json
import re
import time
from datetime import date

import pytest
from django.urls import reverse

from lachan.accounts.models import AuditEvent
from lachan.labs import lookup
from lachan.labs.models import Result
from lachan.labs.tests.lookup_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db
API = "/api/labs/results/lookup"


def api(client, ip="203.0.113.7", **body):
    return client.post(API, data=json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


def page(client, ip="203.0.113.7", **form):
    return client.post(reverse("results:lookup"), form, REMOTE_ADDR=ip)


def test_parse_birth_date():
    for text in ("21/07/1985", "21-07-1985", "21.7.1985", "1985-07-21", "21071985", " 21/07/1985 "):
        assert lookup.parse_birth_date(text) == date(1985, 7, 21), text
    for text in ("", "31/02/1990", "1985", "yesterday", "21/07/85x", "1" * 30, None):
        assert lookup.parse_birth_date(text) is None, text
    assert lookup.mask_name("Nguyễn Văn An") == "N***** V** A*"


def test_api_success_released_individual(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    response = api(client, code=" 82-tg-0001 ", birth_date="21/07/1985")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store, private"
    [item] = response.json()["results"]
    assert item["status"] == "released" and item["outcome"] == "negative" and item["code"] == "82-TG-0001"
    assert item["name"] == "N***** V** A*" and item["birth_year"] == 1985 and item["laboratory"] == "CDC Tiền Giang"
    assert "Nguyễn" not in response.content.decode()
    assert item["slip_url"].startswith("http://testserver/ket-qua/phieu/")
    # ISO dates are read too
    assert api(client, code="82-TG-0001", birth_date="1985-07-21").status_code == 200


def test_audit_of_a_lookup_is_public_and_anonymous(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.POSITIVE)
    before = AuditEvent.objects.filter(action="labs.result_lookup").count()
    assert api(client, ip="198.51.100.4", code="82-TG-0001", birth_date="21/07/1985").status_code == 200
    event = AuditEvent.objects.filter(action="labs.result_lookup").latest("at")
    assert AuditEvent.objects.filter(action="labs.result_lookup").count() == before + 1
    assert event.channel == "public" and event.actor is None and event.actor_username == ""
    assert event.person_id == world.an.pk and event.ip == "198.51.100.4"
    assert event.detail == {"code": "82-TG-0001", "shown": "positive"}
    # a failed look-up shows nothing and writes nothing
    api(client, code="82-TG-0001", birth_date="22/07/1985")
    assert AuditEvent.objects.filter(action="labs.result_lookup").count() == before + 1


def test_wrong_birth_date_answers_like_an_unknown_code(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    wrong = api(client, code="82-TG-0001", birth_date="22/07/1985")
    unknown = api(client, code="82-TG-9999", birth_date="22/07/1985")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "labs_lookup_failed"
    page_wrong = page(client, code="82-TG-0001", birth_date="22/07/1985")
    page_unknown = page(client, code="82-TG-9999", birth_date="22/07/1985")
    assert page_wrong.status_code == page_unknown.status_code == 200
    message = "No result matches this sample code and date of birth."
    assert message in page_wrong.content.decode() and message in page_unknown.content.decode()
    # the pages differ only in the code typed back into the form and the CSRF token
    strip = re.compile(r'value="82-TG-\d+"|name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", page_wrong.content.decode()) == strip.sub("", page_unknown.content.decode())


def test_same_work_for_unknown_code_and_wrong_birth_date(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world.sample("82-TG-0001", [world.an, world.binh], release=Result.NEGATIVE)
    counts = []
    for n, code in enumerate(("82-TG-0001", "82-TG-9999")):
        with CaptureQueriesContext(connection) as queries, pytest.raises(lookup.LookupFailed):
            lookup.result_lookup(code=code, birth_date="03/03/1999", ip=f"192.0.2.{n}")
        counts.append([q["sql"].split()[0] for q in queries.captured_queries
                       if "lachan_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]])
    assert counts[0] == counts[1] == ["SELECT"]  # one statement each, besides the rate-limit counters


def test_bad_input_is_a_validation_error(client, world):
    response = api(client, code="x", birth_date="31/02/1990")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"code", "birth_date"}
    assert api(client, code="82-TG-0001", birth_date="01/01/2999").json()["errors"][0]["field"] == "birth_date"
    assert api(client, code="82-TG-0001", birth_date="01/01/1990", last4="12a4").json()["errors"][0]["field"] == "last4"
    assert api(client, code="82-TG-0001").status_code == 422  # no date of birth at all
    assert client.post(API, data="not json", content_type="application/json").status_code in (400, 422)
    response = page(client, code="", birth_date="")
    assert response.status_code == 200 and "Enter your date of birth as dd/mm/yyyy." in response.content.decode()


def test_not_released_yet_only_after_a_match(client, world):
    world.sample("82-TG-0002", [world.an], status="received")
    response = api(client, code="82-TG-0002", birth_date="21/07/1985")
    [item] = response.json()["results"]
    assert item["status"] == "pending" and item["outcome"] is None and item["slip_url"] is None
    assert item["released_at"] is None
    assert api(client, code="82-TG-0002", birth_date="20/07/1985").status_code == 404
    text = page(client, code="82-TG-0002", birth_date="21/07/1985").content.decode()
    assert "Not available yet" in text and "slip-link" not in text
    # a result entered but not released is still "not yet"
    from lachan.labs import results
    sample = world.sample("82-TG-0003", [world.binh], status="received")
    results.result_enter(sample=sample, result=Result.POSITIVE, release=False, by=world.lab_user)
    [item] = api(client, code="82-TG-0003", birth_date="02/01/1990").json()["results"]
    assert item["status"] == "pending" and item["outcome"] is None


def test_rejected_tube_says_sample_again(client, world):
    from lachan.labs.sampling import services
    sample = world.sample("82-TG-0004", [world.an], status="received")
    services.sample_reject(sample=sample, reason="Mẫu bị đổ", by=world.lab_user)
    [item] = api(client, code="82-TG-0004", birth_date="21/07/1985").json()["results"]
    assert item["status"] == "rejected" and item["slip_url"] is None
    assert "you will be sampled again" in page(client, code="82-TG-0004", birth_date="21/07/1985").content.decode()


def test_pooled_tube_the_birth_date_picks_the_person(client, world):
    world.sample("82-TG-0100", [world.an, world.binh, world.far], release=Result.POSITIVE)
    [an] = api(client, code="82-TG-0100", birth_date="21/07/1985").json()["results"]
    [binh] = api(client, code="82-TG-0100", birth_date="02/01/1990").json()["results"]
    assert an["name"] == "N***** V** A*" and binh["name"] == "T*** T** B***"
    assert an["outcome"] == binh["outcome"] == "retest" and an["pooled"]
    text = page(client, code="82-TG-0100", birth_date="02/01/1990").content.decode()
    assert "Your pool was positive" in text and "T*** T** B***" in text and "N***** V** A*" not in text


def test_retest_code_shown_to_a_pool_member(client, world):
    pool = world.sample("82-TG-0101", [world.an, world.binh], release=Result.POSITIVE)
    from lachan.labs import results
    swab = pool.swabs.get(person=world.an)
    results.retest_register(swab=swab, code="82-TG-0102", by=world.staff.commune)
    [item] = api(client, code="82-TG-0101", birth_date="21/07/1985").json()["results"]
    assert item["retest_code"] == "82-TG-0102"
    [item] = api(client, code="82-TG-0102", birth_date="21/07/1985").json()["results"]
    assert item["status"] == "pending" and not item["pooled"]


def test_two_people_born_the_same_day_need_the_last_digits(client, world):
    world.sample("82-TG-0200", [world.twin1, world.twin2, world.an], release=Result.NEGATIVE)
    response = api(client, code="82-TG-0200", birth_date="05/05/2010")
    assert response.status_code == 400 and response.json()["code"] == "labs_lookup_last4_needed"
    assert response.json()["field"] == "last4"
    [item] = api(client, code="82-TG-0200", birth_date="05/05/2010", last4="0001").json()["results"]
    assert item["name"] == "L* V** C****"
    [item] = api(client, code="82-TG-0200", birth_date="05/05/2010", last4="9999").json()["results"]  # CCCD
    assert item["name"] == "L* V** D***"
    wrong = api(client, code="82-TG-0200", birth_date="05/05/2010", last4="1234")
    assert wrong.status_code == 404 and wrong.json()["code"] == "labs_lookup_failed"
    text = page(client, code="82-TG-0200", birth_date="05/05/2010").content.decode()
    assert 'name="last4"' in text and "last 4 digits" in text
    # the one person born on another day is not asked
    assert api(client, code="82-TG-0200", birth_date="21/07/1985").status_code == 200


def test_a_year_of_birth_alone_needs_the_last_digits(client, world):
    world.sample("82-TG-0300", [world.only_year], release=Result.NEGATIVE)
    response = api(client, code="82-TG-0300", birth_date="15/03/1970")
    assert response.status_code == 400 and response.json()["code"] == "labs_lookup_last4_needed"
    assert api(client, code="82-TG-0300", birth_date="15/03/1970", last4="2222").status_code == 200
    assert api(client, code="82-TG-0300", birth_date="15/03/1971").status_code == 404


@pytest.fixture
def window_start(monkeypatch):
    """The clock at the start of an hour: rate-limit windows are aligned on it."""
    now = 1_800_000_000.0
    monkeypatch.setattr("lachan.core.ratelimit.time.time", lambda: now)
    return now


def test_rate_limit_per_address(client, world, window_start):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    for n in range(10):
        assert api(client, ip="192.0.2.1", code=f"82-TG-{n:04d}", birth_date="21/07/1985").status_code in (200, 404)
    blocked = api(client, ip="192.0.2.1", code="82-TG-0001", birth_date="21/07/1985")
    assert blocked.status_code == 429 and blocked.json()["code"] == "labs_lookup_rate_limited"
    assert blocked.json()["message"] == "Too many attempts. Try again in 10 minutes."
    assert int(blocked["Retry-After"]) == 600
    # the page says it too; another address is not blocked
    response = page(client, ip="192.0.2.1", code="82-TG-0001", birth_date="21/07/1985")
    assert response.status_code == 429 and "Try again in 10 minutes." in response.content.decode()
    assert api(client, ip="192.0.2.2", code="82-TG-0001", birth_date="21/07/1985").status_code == 200


def test_a_strangers_failures_never_lock_the_owner_out(client, world, window_start):
    """Failures count per (address, code) and per address: five wrong dates of birth from a stranger block the
    stranger at that code, not the owner at theirs."""
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    for n in range(5):
        assert api(client, ip="198.51.100.66", code="82-TG-0001", birth_date=f"0{n + 1}/01/1985").status_code == 404
    blocked = api(client, ip="198.51.100.66", code="82tg0001", birth_date="21/07/1985")  # the same code, typed otherwise
    assert blocked.status_code == 429 and blocked.json()["message"] == "Too many attempts. Try again in 60 minutes."
    # the owner, from their own phone, reads their result
    assert api(client, ip="203.0.113.7", code="82-TG-0001", birth_date="21/07/1985").status_code == 200
    # and the stranger may still look up another code (their own)
    assert api(client, ip="198.51.100.66", code="82-TG-0002", birth_date="21/07/1985").status_code == 404


def test_per_address_failures_block_every_code(client, world, window_start, settings):
    settings.LACHAN_RATE_LIMITS = {"labs.lookup.address": (100, 600)}  # all attempts: out of the way here
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    for n in range(20):
        assert api(client, ip="198.51.100.77", code=f"82-TG-{7000 + n}", birth_date="01/01/1990").status_code == 404
    blocked = api(client, ip="198.51.100.77", code="82-TG-0001", birth_date="21/07/1985")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) == 3600
    assert api(client, ip="203.0.113.7", code="82-TG-0001", birth_date="21/07/1985").status_code == 200


@pytest.mark.parametrize("typed", ["82-TG-0001", "82tg0001", "82 TG 0001", " 82-tg-0001 ", "82.TG/0001", "82–TG–0001"])
def test_code_typed_without_dashes_or_in_lower_case(client, world, typed):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    response = api(client, code=typed, birth_date="21/07/1985")
    assert response.status_code == 200 and response.json()["results"][0]["code"] == "82-TG-0001"
    assert page(client, code=typed, birth_date="21/07/1985").status_code == 200


def test_code_key_index_is_used(world):
    from django.db import connection

    from lachan.labs.models import CodeKey, Sample

    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    plan = Sample.objects.alias(key=CodeKey("code")).filter(key="82TG0001").explain()
    assert "labs_sample_code_bare" in plan, plan
    assert connection.vendor in ("sqlite", "postgresql")


def test_page_get_prefills_the_code_and_is_not_cached(client, world):
    response = client.get(reverse("results:lookup"), {"code": "82-TG-0001"})
    assert response.status_code == 200 and 'value="82-TG-0001"' in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    assert client.get("/ket-qua/").status_code == 200  # the address in the SMS


def test_page_success_offers_the_slip(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    response = page(client, code="82-TG-0001", birth_date="21071985")
    text = response.content.decode()
    assert response.status_code == 200 and 'data-outcome="negative"' in text and "N***** V** A*" in text
    assert 'data-testid="slip-link"' in text and "/ket-qua/phieu/" in text


def test_citizen_sees_their_own_results(client, world):
    from lachan.accounts.roles import Role
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    world.sample("82-TG-0002", [world.binh], release=Result.POSITIVE)
    citizen = world.make_user(Role.CITIZEN, username="an")
    world.an.account = citizen
    world.an.save(update_fields=["account"])
    client.force_login(citizen)
    text = client.get(reverse("results:mine")).content.decode()
    assert "82-TG-0001" in text and "Nguyễn Văn An" in text and "82-TG-0002" not in text
    assert AuditEvent.objects.filter(action="labs.result_lookup", actor=citizen, person_id=world.an.pk).exists()
    client.force_login(world.staff.commune)
    assert client.get(reverse("results:mine")).status_code == 404


def test_failures_take_the_same_time(world, settings):
    world.sample("82-TG-0001", [world.an, world.binh], release=Result.NEGATIVE)
    # A floor well above a look-up's own time, so that a loaded machine does not make the test flaky.
    settings.LACHAN_LOOKUP_FAILURE_FLOOR = 0.3
    for code in ("82-TG-0001", "82-TG-9999"):
        began = time.perf_counter()
        with pytest.raises(lookup.LookupFailed):
            lookup.result_lookup(code=code, birth_date="03/03/1999", ip=f"ip-{code}")
        assert 0.3 <= time.perf_counter() - began < 2
    began = time.perf_counter()
    lookup.result_lookup(code="82-TG-0001", birth_date="21/07/1985", ip="ip-ok")
    assert time.perf_counter() - began < 0.3  # a success is not held back
