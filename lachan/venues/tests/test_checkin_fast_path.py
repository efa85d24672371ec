"""The check-in fast path (lachan.venues.checkin_fast_path) answers exactly as the django-ninja endpoints do:
each kind of request is posted through the WSGI application with and without it and the answers compared."""

import json
from io import BytesIO

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from lachan.people.models import Person
from lachan.venues import qr
from lachan.venues.checkin_fast_path import BATCH_PATH, CHECKIN_PATH, CheckInFastPath
from lachan.venues.models import CheckIn

pytestmark = pytest.mark.django_db


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status, self.body = int(status.split()[0]), body
        self.headers = {k: v for k, v in headers if k != "Content-Length"}

    def json(self):
        return json.loads(self.body)


def call(app, path: str, body, *, token: str | None = None, method: str = "POST", **extra) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
               "HTTP_HOST": "testserver", "wsgi.url_scheme": "http", "wsgi.input": BytesIO(raw),
               "CONTENT_LENGTH": str(len(raw)), "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1",
               **({"HTTP_AUTHORIZATION": token} if token else {}), **extra}
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = status, headers

    # As django.test.Client does: the test's transaction must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(app(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return Answer(got["status"], got["headers"], body)


@pytest.fixture
def apps():
    django_app = WSGIHandler()
    return django_app, CheckInFastPath(django_app)


@pytest.fixture
def world(units, owner, venue, token_for):
    people = [Person.objects.create(full_name=f"Người {i}", search_name=f"nguoi {i}", commune=units.commune)
              for i in range(4)]
    return venue, people, token_for(owner)["HTTP_AUTHORIZATION"], qr.qr_token(venue)


def test_a_new_check_in_then_its_retry_answer_alike(apps, world):
    django_app, fast = apps
    _venue, people, token, code = world
    item = {"qr": code, "person_id": str(people[0].pk), "client_key": "k-1"}
    first = call(fast, CHECKIN_PATH, item, token=token)
    again = call(django_app, CHECKIN_PATH, item, token=token)  # the same client key: the same check-in
    assert (first.status, again.status) == (201, 200)
    assert {**first.json(), "created": False} == again.json()
    assert first.headers == again.headers
    assert CheckIn.objects.count() == 1
    # and the other way round
    item = {"qr": code, "person_id": str(people[1].pk), "client_key": "k-2"}
    first, again = call(django_app, CHECKIN_PATH, item, token=token), call(fast, CHECKIN_PATH, item, token=token)
    assert (first.status, again.status) == (201, 200) and {**first.json(), "created": False} == again.json()


@pytest.mark.parametrize("case", ["forged", "malformed", "unknown_person", "not_uuid", "future", "no_token",
                                  "bad_token", "nul", "english", "empty_batch", "not_json"])
def test_refusals_answer_alike(apps, world, case):
    django_app, fast = apps
    _venue, people, token, code = world
    path, body, extra = CHECKIN_PATH, {"qr": code, "person_id": str(people[0].pk)}, {}
    if case == "forged":
        body["qr"] = code[:-2] + "xx"
    elif case == "malformed":
        body["qr"] = "không phải mã"
    elif case == "unknown_person":
        body["person_id"] = "00000000-0000-7000-8000-000000000001"
    elif case == "not_uuid":
        body["person_id"] = "12"
    elif case == "future":
        body["checked_in_at"] = "2100-01-01T00:00:00Z"
    elif case == "no_token":
        token = None
    elif case == "bad_token":
        token = "Bearer nope"
    elif case == "nul":
        body["client_key"] = "a\u0000b"
    elif case == "english":
        body["qr"], extra = code[:-2] + "xx", {"HTTP_ACCEPT_LANGUAGE": "en"}
    elif case == "empty_batch":
        path, body = BATCH_PATH, {"checkins": []}
    elif case == "not_json":
        body = b"{not json"
    slow, quick = call(django_app, path, body, token=token, **extra), call(fast, path, body, token=token, **extra)
    assert (quick.status, quick.json(), quick.headers) == (slow.status, slow.json(), slow.headers)
    assert quick.status >= 400 and not CheckIn.objects.exists()
    if case == "english":
        assert "genuine" in quick.json()["message"] and quick.headers["Content-Language"] == "en"


def test_batches_answer_alike(apps, world):
    django_app, fast = apps
    _venue, people, token, code = world
    items = [{"qr": code, "person_id": str(people[0].pk), "client_key": "b-1"},
             {"qr": code[:-2] + "xx", "person_id": str(people[1].pk)},
             {"qr": code, "person_id": "00000000-0000-7000-8000-000000000001"},
             {"qr": code, "person_id": str(people[2].pk), "client_key": "b-3"}]
    quick = call(fast, BATCH_PATH, {"checkins": items}, token=token)
    slow = call(django_app, BATCH_PATH, {"checkins": items}, token=token)  # a retry: existing where created
    assert quick.status == slow.status == 200 and quick.headers == slow.headers
    q, s = quick.json(), slow.json()
    assert (q["created"], q["existing"], q["failed"]) == (2, 0, 2) and (s["created"], s["existing"]) == (0, 2)
    for a, b in zip(q["results"], s["results"], strict=True):
        if a["checkin"]:
            assert b["status"] == 200 and {**a["checkin"], "created": False} == b["checkin"]
        else:
            assert a == b


def test_other_requests_go_to_django(apps, world):
    _django_app, fast = apps
    venue, people, token, code = world
    listing = call(fast, "/api/venues/", b"", token=token, method="GET", CONTENT_LENGTH="0")
    assert listing.status == 200 and listing.json()[0]["id"] == str(venue.pk)
    # no bearer token (a browser's session): Django's CSRF check and the session apply, as for any page
    answer = call(fast, CHECKIN_PATH, {"qr": code, "person_id": str(people[0].pk)})
    assert answer.status == 403 and not CheckIn.objects.exists()


def test_behind_a_tls_proxy_the_same_security_headers(apps, world, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True
    django_app, fast = WSGIHandler(), CheckInFastPath(WSGIHandler())
    _venue, people, token, code = world
    item = {"qr": code, "person_id": str(people[0].pk), "client_key": "tls"}
    quick = call(fast, CHECKIN_PATH, item, token=token, HTTP_X_FORWARDED_PROTO="https")
    slow = call(django_app, CHECKIN_PATH, item, token=token, HTTP_X_FORWARDED_PROTO="https")
    assert (quick.status, slow.status) == (201, 200) and quick.headers == slow.headers
    assert quick.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # HTTPS required and the call came over plain HTTP: Django's redirect
    settings.SECURE_SSL_REDIRECT = True  # read when the middleware is built
    assert call(CheckInFastPath(WSGIHandler()), CHECKIN_PATH, item, token=token).status == 301
