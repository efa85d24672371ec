"""The interface is Vietnamese by default and English on request; every message has a translation."""

import shutil
import subprocess
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parent.parent / "lachan" / "locale" / "vi" / "LC_MESSAGES"


@pytest.fixture
def vietnamese_default(settings):
    settings.LANGUAGE_CODE = "vi"


def test_vietnamese_is_the_default(client, db, vietnamese_default):
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="vi"' in page and "Đăng nhập" in page


def test_english_when_the_browser_asks_for_it(client, db, vietnamese_default):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_validation_messages_come_in_the_users_language(client, staff, vietnamese_default):
    client.force_login(staff.commune)
    response = client.post("/api/people/", {"full_name": "", "commune": "x"}, content_type="application/json")
    assert response.status_code in (400, 422)
    body = response.json()
    assert body["message"] and body["message"] != "Enter the full name."


def test_catalogue_is_complete_and_compiled():
    po = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and "\n\"" not in e.split('msgstr ""', 1)[1][:2] and "#~" not in e]
    assert not untranslated, untranslated[:3]
    assert "#, fuzzy" not in po


def test_compiled_catalogue_matches_its_source(tmp_path):
    """The committed .mo is what msgfmt makes of the .po (run `manage.py compilemessages -l vi`)."""
    msgfmt = shutil.which("msgfmt")
    if not msgfmt:
        pytest.skip("gettext's msgfmt is not installed")
    out = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(out), str(CATALOGUE / "django.po")], check=True)
    assert out.read_bytes() == (CATALOGUE / "django.mo").read_bytes()


# Words that give away English left in the Vietnamese interface (item 23 of issue 12): looked for in the text a
# reader sees (tags, scripts, styles and attribute values taken out), with spaces around the short ones.
ENGLISH_GIVEAWAYS = (" the ", " of the ", " is not ", "Forbidden", "Not found", "Not Found", "Error", " None",
                     "True", "False", "DESIGN", "Official Dispatch", "Decision ")
PROVINCE_PAGES = ("/", "/ioc/", "/cases/", "/cases/clusters/", "/people/", "/tracing/chain/", "/venues/",
                  "/labs/dashboard/", "/labs/advice/", "/quarantine/", "/quarantine/alerts/", "/map/", "/risk/",
                  "/policies/", "/accounts/me/")


def visible_text(html: str) -> str:
    import re
    from html import unescape

    html = re.sub(r"(?is)<(script|style|template|code|pre|svg)\b.*?</\1>", " ", html)
    html = re.sub(r'(?is)<(\w+)\b[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", html)  # marked as code
    return " ".join(unescape(re.sub(r"(?s)<[^>]*>", " ", html)).split())


def test_the_province_pages_have_no_english_left_in_vietnamese(client, staff, vietnamese_default):
    from lachan.core.models import Policy

    # the seeded policy versions' sources are shown on the policy pages and on orders
    assert not [p.source for p in Policy.objects.all() if "DESIGN" in p.source or p.source.isascii()]
    client.force_login(staff.province)
    found = {}
    for url in PROVINCE_PAGES:
        try:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        except Exception as exc:
            raise AssertionError(f"{url}: {exc!r}") from exc
        assert response.status_code == 200, url
        text = f" {visible_text(response.content.decode())} "
        words = [word for word in ENGLISH_GIVEAWAYS if word in text]
        if words:
            found[url] = [(word, text[max(0, text.index(word) - 40):text.index(word) + 40]) for word in words]
    assert not found


def test_geojson_errors_in_vietnamese(client, staff, vietnamese_default):
    from django.utils import translation

    from lachan.geo.shapes import ShapeError, geojson_load, geometry_parse

    bow_tie = {"type": "Polygon", "coordinates": [[[106, 10], [106.1, 10.1], [106.1, 10], [106, 10.1], [106, 10]]]}
    with translation.override("vi"):
        for parse in (lambda: geojson_load(b'{"type": "Polygon",'), lambda: geometry_parse(bow_tie),
                      lambda: geometry_parse({"type": "Point", "coordinates": [106, 10]}),
                      lambda: geometry_parse({"type": "Polygon", "coordinates": [[[106, 10], [106, 10]]]})):
            with pytest.raises(ShapeError) as raised:
                parse()
            message = str(raised.value)
            assert message and " the " not in f" {message} " and "the polygon" not in message, message


# Every role's pages (item 23): each demo account, logged in, follows the links of its pages from its home page and
# its menu, then opens every other page of the URLconf with a real record of each kind (what it may not open answers
# with the platform's 403/404 page, which is read too); nobody logged in reads the pages open to all. Each route is
# read with each set of query parameters met once (a list's second page, a filter), at most a few times.
DEMO_ROLES = ("province", "cdc", "ioc", "district", "commune", "lab", "enterprise", "venue", "checkpoint", "citizen")
# Files, not pages; and what changes the session (log-out, language).
NOT_PAGES = (".pdf", ".png", ".xlsx", ".csv", "/export/", "/logout/", "/language/", "/i18n/", "/admin/", "/api/",
             "/static/")
VARIANTS_PER_ROUTE = 3


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo province with its accounts, generated once for the module inside a transaction rolled back after
    it (as tests/test_api_fuzz.py does)."""
    from django.db import transaction

    from conftest import _ensure_units
    from lachan.simulate.demo import demo_setup

    django_db_blocker.unblock()
    module_atomic = transaction.atomic()
    module_atomic._from_testcase = True  # durable service blocks may nest in it, as in a TestCase's
    module_atomic.__enter__()
    try:
        _ensure_units()
        demo_setup(people=400, seed=5, tree="2021", province_code="82")
        yield _route_arguments()
    finally:
        transaction.set_rollback(True)
        module_atomic.__exit__(None, None, None)
        django_db_blocker.restore()


def _route_arguments() -> dict[str, str]:
    """A real record for each path parameter of the URLconf (the first of its kind)."""
    from lachan.accounts.models import ApiToken, User
    from lachan.cases.models import Case, Cluster
    from lachan.core.models import Policy
    from lachan.labs.models import Campaign, ColumnMapping, ResultImport, Sample, SamplingSite, Swab
    from lachan.notifications.models import Message
    from lachan.people.models import DuplicateCandidate, Person
    from lachan.quarantine.models import Alert, Facility, FacilityRoom, Order
    from lachan.risk.models import LockdownArea
    from lachan.tracing.models import Contact
    from lachan.venues.models import LogbookImport, Venue

    def first(model, **filters):
        pk = model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True).first()
        return "" if pk is None else str(pk)

    policy = Policy.objects.order_by("pk").first()
    return {
        "case_id": first(Case), "person_id": first(Person, cases__isnull=False), "cluster_id": first(Cluster),
        "contact_id": first(Contact), "order_id": first(Order), "alert_id": first(Alert),
        "facility_id": first(Facility), "room_id": first(FacilityRoom), "campaign_id": first(Campaign),
        "site_id": first(SamplingSite), "sample_id": first(Sample), "swab_id": first(Swab),
        "import_id": first(ResultImport), "mapping_id": first(ColumnMapping), "area_id": first(LockdownArea),
        "message_id": first(Message), "venue_id": first(Venue), "logbook_id": first(LogbookImport),
        "candidate_id": first(DuplicateCandidate), "token_id": first(ApiToken), "user_id": first(User),
        "code": User.objects.get(username="district").jurisdiction_unit.code,
        "kind": policy.kind if policy else "tracing", "pk": str(policy.pk) if policy else "1",
        "slug": "vaccination",
    }


def _routes():
    """(route, URL name, view) of every page of the URLconf."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}"

    return [(route, name) for route, name in walk(get_resolver().url_patterns, "", "")
            if not any(part in f"/{route}" for part in NOT_PAGES)]


# English words, looked for whole in the text (not Vietnamese syllables without their marks: no "an", "do", "in",
# "no", "to"...); the proper nouns and codes that contain them are allowed.
ENGLISH_WORDS = frozenset("""
the of and is are not with for from this that these your you was were be been has have will can may must should
or if its all any new add edit delete save cancel search filter export import name date status page next previous
back open close view show none yes true false total error required invalid enter select choose when where who what
which by on at per day days week hour hours minute minutes people person case cases contact contacts order orders
result results sample samples test tests venue venues level levels unit units map alert alerts file rows row
column message messages phone address area areas policy version draft adopt home list details detail more less menu
exercise
""".split())
ALLOWED = ("Lá Chắn", "OpenStreetMap", "Leaflet", "OpenAPI")


def _english_in(html: str, allowed: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    import re
    from html import unescape

    # and what a reader sees or hears of attributes: placeholders, tooltips, screen-reader labels, questions asked
    said = re.findall(r'\s(?:placeholder|title|aria-label|alt|data-confirm|data-searchable|data-date-label)="([^"]*)"',
                      re.sub(r"(?is)<(script|style|template|svg)\b.*?</\1>", " ", html))
    text = f" {visible_text(html)} {' '.join(unescape(value) for value in said)} "
    while (braced := re.sub(r"\{[^{}]*\}", " ", text)) != text:  # JSON notation of a rule's fields: codes
        text = braced
    for name in (*ALLOWED, *allowed):
        text = text.replace(name, " ")
    hits = [(word, text.index(word)) for word in ENGLISH_GIVEAWAYS if word in text]
    hits += [(m.group(1), m.start(1)) for m in re.finditer(r"(?<![\w./-])([A-Za-z]+)(?![\w/-]|\.\w)", text)
             if m.group(1).lower() in ENGLISH_WORDS]
    return [(word, text[max(0, at - 50):at + 50]) for word, at in hits]


def _crawl(client, seeds: list[str], fallbacks: list[str], allowed: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Follows the site's links breadth first from the seeds, then opens the fallbacks of routes not met.
    Returns {url: English found} and {route: status}."""
    import re
    from collections import Counter, deque
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    from django.urls import Resolver404, resolve

    queue, found, statuses, variants, keys = deque(seeds), {}, {}, Counter(), set()
    fallbacks = deque(fallbacks)
    while queue or fallbacks:
        url = queue.popleft() if queue else fallbacks.popleft()
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or any(part in parts.path for part in NOT_PAGES):
            continue
        try:
            route = resolve(parts.path).route
        except Resolver404:
            route = parts.path.lstrip("/")  # the 404 page is a page too
        key = (route, tuple(sorted(parse_qs(parts.query))))
        if key in keys or variants[route] >= VARIANTS_PER_ROUTE:
            continue
        keys.add(key)
        variants[route] += 1
        try:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        except Exception as exc:
            raise AssertionError(f"{url}: {exc!r}") from exc
        statuses.setdefault(route, response.status_code)
        assert response.status_code < 500, url
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        if english := _english_in(html, allowed):
            found[url] = english
        queue.extend(unescape(href) for href in re.findall(r'href="([^"#]*)', html))
        queue.extend(unescape(action) for action in re.findall(r'<form[^>]*method="get"[^>]*action="([^"#]*)', html))
    return found, statuses


def _report(found: dict) -> str:
    return "English left:\n" + "\n".join(f"{url}  {word!r}: …{context}…" for url, words in found.items()
                                          for word, context in words)


def _fallbacks(arguments: dict[str, str]) -> list[str]:
    import re

    urls = []
    for route, _name in _routes():
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if params and not all(arguments.get(p) for p in params):
            continue
        urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: arguments[m.group(1)], route))
    return urls


@pytest.mark.parametrize("username", DEMO_ROLES)
def test_every_page_of_every_role_is_in_vietnamese(demo, db, client, settings, username):
    from django.urls import reverse

    from lachan.accounts.models import User
    from lachan.web.navigation import visible_to

    settings.LANGUAGE_CODE = "vi"
    user = User.objects.get(role="citizen") if username == "citizen" else User.objects.get(username=username)
    client.force_login(user)
    menu = [reverse(item.url) for item in visible_to(user) if item.url] + [
        reverse("web:capability", args=[item.slug]) for item in visible_to(user) if not item.url]
    # the log-in names are codes (the demo's are English words: "venue", "province")
    found, statuses = _crawl(client, ["/", *menu], _fallbacks(demo), allowed=(f" {user.username} ",))
    assert not found, _report(found)
    for url in menu:  # what the menu offers opens
        assert statuses.get(url.lstrip("/"), statuses.get(url)) in (200, None), url
    assert len(statuses) > 40, statuses
    if username == "province":  # the detail pages were read with a record (not only their 404)
        for route in ("cases/<uuid:case_id>/", "people/<uuid:person_id>/", "quarantine/orders/<uuid:order_id>/",
                      "venues/<uuid:venue_id>/", "tracing/cases/<uuid:case_id>/", "map/lockdowns/<uuid:area_id>/"):
            assert statuses.get(route) == 200, (route, statuses.get(route))


def test_the_pages_open_to_all_are_in_vietnamese(demo, db, client, settings):
    import uuid

    from django.test import Client

    from lachan.labs.lookup.slip import slip_token
    from lachan.quarantine.links import link_token
    from lachan.quarantine.models import Order
    from lachan.venues.models import Venue
    from lachan.venues.qr import qr_token

    settings.LANGUAGE_CODE = "vi"
    open_pages = ["/accounts/login/", "/accounts/register/", "/accounts/register/code/", "/accounts/login/code/",
                  "/ket-qua/", "/ban-do/", f"/c/{qr_token(Venue.objects.order_by('pk').first())}",
                  f"/c/{qr_token(Venue.objects.order_by('pk').first())[:-3]}xyz",  # a damaged QR
                  f"/quarantine/p/{link_token(Order.objects.order_by('pk').first())}/",
                  f"/ket-qua/xac-minh/{slip_token(uuid.uuid4(), 'negative', 0)}", "/ket-qua/xac-minh/abc",
                  "/khong-co-trang-nay/", "/cases/"]
    found, statuses = _crawl(client, open_pages, [])
    assert statuses["khong-co-trang-nay/"] == 404 and statuses["accounts/login/"] == 200
    # A form sent without its CSRF token, and the pages of a server error and an unreadable request.
    from lachan.web.errors import error_response

    guarded = Client(enforce_csrf_checks=True)
    refused = guarded.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert refused.status_code == 403
    from django.test import RequestFactory
    from django.utils import translation

    with translation.override("vi"):
        errors = {status: error_response(RequestFactory().get("/"), status).content.decode() for status in (400, 500)}
    for name, html in [("csrf", refused.content.decode()), *errors.items()]:
        if english := _english_in(html):
            found[name] = english
    assert not found, _report(found)
