"""Property-based tests of the pages' forms (hypothesis): whatever a logged-in user of the right role uploads or
types, the answer is never a server error, and a refused upload leaves nothing behind.

The API is fuzzed from its schema (test_api_fuzz.py); the pages have none, so their forms are fuzzed here:
- every page that takes a file (FileField / request.FILES): a laboratory's result file, a layout's example
  file, a venue's paper logbook, a GeoJSON file of lockdown areas, the populations CSV; and the boundary
  import (a command, no page) through its service. Bodies: random bytes, text in the wrong encoding, empty,
  CSV of random columns and cells (a huge one within the limits), an .xlsx that is a zip of junk or a real
  workbook of random cells, GeoJSON variants, a multipart body without or with a broken boundary.
- the main POST forms, their fields read from the page itself (a field added later is fuzzed too), filled
  with values that broke pages before (superscript digits, day 0001-01-01, 1e999, control characters...).
Examples are derandomised and bounded (CI reproducible, about a minute on SQLite)."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lachan.labs.tests.sampling_fixtures import make_lab

pytestmark = pytest.mark.django_db

# LACHAN_FUZZ_EXAMPLES=500 hunts longer, with fresh random examples each run (CI: few, always the same).
HUNT = int(os.environ.get("LACHAN_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=HUNT or 30, deadline=None, derandomize=not HUNT, database=None,
                suppress_health_check=list(HealthCheck))
FORMS = settings(FUZZ, max_examples=HUNT or 12)

# ---- what is uploaded ---------------------------------------------------------------------------------------

NASTY = ["", " ", "²", "١٢٣", "0001-01-01", "9999-12-31", "31/02/2021", "2021-13-45 99:99", "25:61", "-1", "0",
         "1e999", "NaN", "inf", "=1+1", "@SUM(A1)", "\x00", "\x1b[31m", "\u202e", "\ufeff", "9" * 40, "Âm tính",
         "Dương tính", "âm", "+", "Nguyễn Văn An", "0912345678", "+84912345678", "079201012345", "82", "28261",
         "01/01/1900", "12/31/2021", "45000", "44197.5", "true", "null", "[]", "{}", "Phường 1", "\r", "\t",
         "Infinity", '{"header_row": Infinity}', "[" * 5000 + "]" * 5000, '{"headings": 7}',
         '{"type": "Polygon", "coordinates": [[[NaN, 10.35], [106.36, 10.35], [106.36, 10.36], [NaN, 10.35]]]}']
HEADINGS = ["Mã mẫu", "Kết quả", "Ct", "Ngày xét nghiệm", "code", "population", "Họ tên", "Số điện thoại",
            "Xã/phường", "Giờ vào", "Giờ ra", "Năm sinh", "Ngày sinh", "venue", "result", "ma mau", "", "Mã mẫu"]
cell = st.one_of(st.sampled_from(NASTY), st.text(max_size=12), st.integers(-10**12, 10**12).map(str),
                 st.dates().map(lambda d: d.strftime("%d/%m/%Y")), st.datetimes().map(str))
rows = st.lists(st.lists(cell, min_size=0, max_size=6), min_size=0, max_size=6)
headings = st.lists(st.sampled_from(HEADINGS) | st.text(max_size=8), min_size=1, max_size=6)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1", "utf-32"]


@st.composite
def csv_files(draw) -> bytes:
    """CSV of random columns (real headings among them), any delimiter, in one encoding or another."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    table = [draw(headings), *draw(rows)]
    if draw(st.booleans()) and len(table) > 1:
        table[-1] = [*table[-1], "x" * draw(st.sampled_from([32_767, 32_768, 140_000]))]  # a huge cell
    text = "\r\n".join(delimiter.join(_quoted(c, delimiter) for c in row) for row in table)
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


def _quoted(value: str, delimiter: str) -> str:
    return f'"{value}"' if delimiter in value or "\n" in value else value


@st.composite
def xlsx_files(draw) -> bytes:
    """A real workbook of random cells, or a zip whose parts are junk."""
    if draw(st.booleans()):
        parts = draw(st.lists(st.sampled_from(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                               "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "junk"]),
                              min_size=0, max_size=5, unique=True))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name in parts:
                archive.writestr(name, draw(st.binary(max_size=80) | st.just(b"<?xml version='1.0'?><x/>")))
        return out.getvalue()
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    for row in [draw(headings), *draw(rows)]:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    if draw(st.booleans()):
        sheet.append([draw(st.dates()), draw(st.floats(allow_nan=False, allow_infinity=False)), draw(st.booleans())])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


coordinate = st.one_of(st.floats(105.0, 107.0), st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([0, -999, 1e308, "106.3", None]))
ring = st.lists(st.lists(coordinate, min_size=0, max_size=3), min_size=0, max_size=6)
SQUARE = [[106.35, 10.35], [106.36, 10.35], [106.36, 10.36], [106.35, 10.36], [106.35, 10.35]]
geometry = st.one_of(
    st.fixed_dictionaries({"type": st.just("Polygon"), "coordinates": st.just([SQUARE]) | st.lists(ring, max_size=2)}),
    st.fixed_dictionaries({"type": st.just("MultiPolygon"), "coordinates": st.just([[SQUARE]]) | st.lists(st.lists(ring,
                                                                                                     max_size=2))}),
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "LineString", "GeometryCollection", "Nope", ""]),
                           "coordinates": st.lists(coordinate, max_size=3)}),
    st.sampled_from([None, "abc", 7, [], {}]),
)
properties = st.one_of(
    st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(NASTY) | st.text(max_size=300), "code": st.sampled_from(["28261", "82", "", "x"]),
        "starts_on": st.sampled_from(NASTY), "ends_on": st.sampled_from(NASTY), "reason": st.sampled_from(NASTY),
        "residents": st.sampled_from([-1, 0, 10**30, "12", None, 1.5]), "ma": st.sampled_from(["28261", "815"])}),
    st.sampled_from(["abc", None, 7, [1]]),
)
feature = st.fixed_dictionaries({"type": st.sampled_from(["Feature", "feature", "X"]), "geometry": geometry,
                                 "properties": properties})


@st.composite
def geojson_files(draw) -> bytes:
    shape = draw(st.sampled_from(["collection", "feature", "geometry", "nested", "broken", "other"]))
    if shape == "collection":
        value = {"type": "FeatureCollection", "features": draw(st.lists(feature | st.sampled_from([7, "x", None]),
                                                                        max_size=4))}
    elif shape == "feature":
        value = draw(feature)
    elif shape == "geometry":
        value = draw(geometry)
    elif shape == "nested":
        depth = draw(st.sampled_from([50, 1000, 100_000]))
        return b'{"type": "FeatureCollection", "features": ' + b"[" * depth + b"]" * depth + b"}"
    elif shape == "broken":
        return json.dumps({"type": "FeatureCollection", "features": [draw(feature)]}).encode()[: draw(st.integers(0, 60))]
    else:
        value = draw(st.sampled_from([[], "text", 1e999, None, {"type": "FeatureCollection"},
                                      {"type": "FeatureCollection", "features": {}}]))
    text = json.dumps(value, allow_nan=True)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-16"])))


def files(*kinds: str):
    """Upload bodies; kinds: csv, xlsx, geojson (random bytes, wrong encodings and empty files always)."""
    made = {"csv": csv_files(), "xlsx": xlsx_files(), "geojson": geojson_files()}
    return st.one_of(st.binary(max_size=300), st.just(b""), st.sampled_from(NASTY).map(lambda s: s.encode("utf-16")),
                     *[made[k] for k in kinds])


NAMES = st.sampled_from(["ket-qua.csv", "ket-qua.xlsx", "a.xls", "a.geojson", "a.json", "a.txt", "a", "A.CSV",
                         ".csv", "sổ ghi.csv", "a.csv.exe", "x" * 300 + ".csv"])
RAW_TYPES = st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=x",
                             "multipart/form-data; boundary=\"unterminated", "application/octet-stream", "text/csv",
                             "application/x-www-form-urlencoded"])


# ---- the world the forms act on ---------------------------------------------------------------------------

@pytest.fixture
def world(units, staff, make_user):
    """Staff of each role, a laboratory with tubes received, a venue with its owner, a campaign and a cluster."""
    from lachan.accounts.actors import system_actor
    from lachan.accounts.roles import Role
    from lachan.cases.services import case_confirm, cluster_create
    from lachan.labs import sampling as labs
    from lachan.people.models import Person
    from lachan.quarantine.links import link_token
    from lachan.quarantine.models import OrderKind, Setting
    from lachan.quarantine.orders import order_create
    from lachan.venues.qr import qr_token
    from lachan.venues.services import venue_register

    actor = system_actor("page-fuzz")
    laboratory = make_lab(units.commune)
    lab = SimpleNamespace(lab=laboratory, staff=make_user(Role.LAB_STAFF, place=laboratory.place, username="labtech"))
    owner = make_user(Role.VENUE_OWNER, username="owner")
    venue = venue_register(by=owner, name="Quán cà phê Sông Tiền", kind="cafe", size="small",
                           commune=units.commune, capacity=20)
    people = [Person.objects.create(full_name=f"Người {n}", commune=units.commune, phone=f"09123{n:05d}")
              for n in range(6)]
    campaign = labs.campaign_create(name="Sàng lọc", kind="screening", unit=units.district,
                                    starts_on=timezone.localdate() - timedelta(days=2), pool_size=3,
                                    laboratory=lab.lab, by=actor)
    tubes = [labs.sample_register(campaign=campaign, swabs=people[i:i + 3], generate_code=True,
                                  collected_at=timezone.now() - timedelta(hours=5), by=actor) for i in (0, 3)]
    labs.samples_receive(codes=[t.code for t in tubes], by=lab.staff)
    cluster = cluster_create(name="Ổ dịch chợ", kind="venue", commune=units.commune, by=actor)
    case = case_confirm(person=people[0], onset_date=timezone.localdate() - timedelta(days=2),
                        sample_date=timezone.localdate() - timedelta(days=1), origin="community", by=actor)
    order = order_create(person=people[0], kind=OrderKind.ISOLATION, setting=Setting.HOME, case=case,
                         starts_on=timezone.localdate(), by=actor)
    return SimpleNamespace(units=units, staff=staff, lab=lab, owner=owner, venue=venue, people=people,
                           campaign=campaign, tubes=tubes, cluster=cluster, codes=[t.code for t in tubes], case=case,
                           order=order, qr=qr_token(venue), link=link_token(order))


def _counts(*querysets) -> list:
    return [q.count() if hasattr(q, "count") and not isinstance(q, list) else q for q in querysets]


def _lab_state():
    from lachan.cases.models import Case
    from lachan.labs.models import ImportStatus, ResultImport, Sample, Swab
    from lachan.notifications.models import Message

    return [sorted(Sample.objects.values_list("code", "status", "result")),
            sorted(Swab.objects.values_list("id", "outcome")), Case.objects.count(), Message.objects.count(),
            ResultImport.objects.filter(status=ImportStatus.APPLIED).count()]


def _mapping_state():
    from lachan.labs.models import ColumnMapping

    return [ColumnMapping.objects.count()]


def _logbook_state():
    from lachan.people.models import Person
    from lachan.venues.models import CheckIn, LogbookImport, LogbookVisitor

    return [CheckIn.objects.count(), Person.objects.count(), LogbookImport.objects.count(),
            LogbookVisitor.objects.count()]


def _lockdown_state():
    from lachan.risk.models import LockdownArea

    return [LockdownArea.objects.count()]


def _population_state():
    from lachan.geo.models import AdminUnit

    return sorted(AdminUnit.objects.exclude(population=None).values_list("code", "population"))


# name → (url, user, other fields, kinds of file, the state that a refused upload leaves unchanged)
UPLOADS = {
    "lab_results": (lambda w: "/labs/results/", lambda w: w.lab.staff,
                    lambda w: {"laboratory": str(w.lab.lab.pk), "release": "on"}, ("csv", "xlsx"), _lab_state),
    "lab_layout": (lambda w: "/labs/results/layouts/new/", lambda w: w.lab.staff,
                   lambda w: {"step": "upload", "header_row": ""}, ("csv", "xlsx"), _mapping_state),
    "logbook": (lambda w: f"/venues/{w.venue.pk}/", lambda w: w.owner, lambda w: {}, ("csv", "xlsx"),
                _logbook_state),
    "lockdowns": (lambda w: "/map/lockdowns/import/", lambda w: w.staff.province,
                  lambda w: {"starts_on": timezone.localdate().isoformat(), "reason": "Ổ dịch"}, ("geojson",),
                  _lockdown_state),
    "populations": (lambda w: "/units/population/import/", lambda w: w.staff.province,
                    lambda w: {"year": "2021", "source": "Niên giám"}, ("csv",), _population_state),
}


def _lab_rows(world, draw) -> bytes:
    """A result file that names real tubes (so rows reach the checks past the headings)."""
    table = [["Mã mẫu", "Kết quả", "Ct", "Ngày xét nghiệm"]]
    for _ in range(draw(st.integers(1, 3))):
        table.append([draw(st.sampled_from([*world.codes, *NASTY])), draw(st.sampled_from(["Âm tính", "Dương tính",
                                                                                            *NASTY])),
                      draw(cell), draw(cell)])
    return "\n".join(",".join(_quoted(c, ",") for c in row) for row in table).encode()


@pytest.mark.parametrize("name", list(UPLOADS))
def test_uploads_never_fail_nor_half_save(client, world, name):
    url, user, fields, kinds, state = UPLOADS[name]
    client.force_login(user(world))

    @FUZZ
    @given(data=st.data())
    def upload(data):
        if name == "lab_results" and data.draw(st.booleans()):
            body = _lab_rows(world, data.draw)
        else:
            body = data.draw(files(*kinds))
        before = state()
        if data.draw(st.integers(0, 9)) == 0:  # a body Django cannot read as a form
            response = client.generic("POST", url(world), body or b"--x\r\n", content_type=data.draw(RAW_TYPES))
        else:
            response = client.post(url(world), {**fields(world), "file": SimpleUploadedFile(data.draw(NAMES), body)})
        assert response.status_code < 500, response.content[:2000]
        if response.status_code != 302:  # refused: nothing half-saved
            assert state() == before

    upload()


def test_uploads_without_csrf_are_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff.province)
    for url in ("/map/lockdowns/import/", "/units/population/import/"):
        response = client.post(url, {"file": SimpleUploadedFile("a.csv", b"code,population\n82,1\n")})
        assert response.status_code == 403


@FUZZ
@given(data=geojson_files() | st.binary(max_size=200) | csv_files())
def test_boundary_import_refuses_or_applies_whole(units, data):
    """The boundary import has no page (a command): its service, with the same GeoJSON."""
    from lachan.core.errors import DomainError
    from lachan.geo.models import AdminUnit
    from lachan.geo.services import admin_unit_boundaries_import

    before = sorted(AdminUnit.objects.values_list("code", "boundary"), key=lambda r: r[0])
    try:
        admin_unit_boundaries_import(tree="2021", data=data)
    except DomainError:
        after = sorted(AdminUnit.objects.values_list("code", "boundary"), key=lambda r: r[0])
        assert after == before


# ---- the main forms: fields read from the page, filled with values that broke pages before ------------------

class _FormFields(HTMLParser):
    """The names of the POST form fields of a page, with the choices of the selects (hidden values kept)."""

    def __init__(self, action: str | None = None):
        super().__init__()
        self.action = action
        self.fields: dict[str, list[str]] = {}
        self.hidden: dict[str, str] = {}
        self._select: str | None = None
        self._in_post = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_post = (a.get("method") or "").lower() == "post" and (
                self.action is None or (a.get("action") or "").split("?")[0] == self.action)
        if not self._in_post or not a.get("name") or a.get("name") == "csrfmiddlewaretoken":
            if tag == "option" and self._select and a.get("value") is not None:
                self.fields[self._select].append(a["value"])
            return
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value") or ""
        if tag in ("input", "textarea", "select"):
            self.fields.setdefault(a["name"], [])
        self._select = a["name"] if tag == "select" else None

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post = False
        if tag == "select":
            self._select = None


def form_fields(html: str, *, action: str | None = None) -> _FormFields:
    """The fields of the page's POST forms (with `action`: of the forms posting there)."""
    parser = _FormFields(action)
    parser.feed(html)
    return parser


value = st.one_of(st.sampled_from(NASTY), st.text(max_size=20), st.integers(-10**20, 10**20).map(str),
                  st.just("x" * 5000), st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
                  st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")))

# name → (the page with the form, where it posts (None: the page itself), user), as their users fill them.
PAGES = {
    "person": ("/people/new/", None, "commune"),
    "person_edit": ("/people/{person}/edit/", None, "commune"),
    "case": ("/cases/new/", None, "district"),
    "cluster": ("/cases/clusters/", "/cases/clusters/new/", "district"),
    "cluster_edit": ("/cases/clusters/{cluster}/", "/cases/clusters/{cluster}/edit/", "district"),
    "cluster_cases": ("/cases/clusters/{cluster}/", "/cases/clusters/{cluster}/cases/", "district"),
    "venue": ("/venues/new/", None, "owner"),
    "venue_size": ("/venues/{venue}/", "/venues/{venue}/size/", "commune"),
    "campaign": ("/labs/campaigns/new/", None, "district"),
    "campaign_edit": ("/labs/campaigns/{campaign}/edit/", None, "province"),
    "site": ("/labs/campaigns/{campaign}/", "/labs/campaigns/{campaign}/sites/new/", "province"),
    "order": ("/quarantine/orders/new/", None, "commune"),
    "facility": ("/quarantine/facilities/", "/quarantine/facilities/new/", "district"),
    "lockdown": ("/map/lockdowns/new/", None, "province"),
    "token": ("/accounts/me/", "/accounts/me/tokens/", "district"),
    "layout_save": ("/labs/results/layouts/new/", None, "lab"),
    "sample_result": ("/labs/samples/{sample}/result/", None, "lab"),
    "case_status": ("/cases/{case}/", "/cases/{case}/status/", "district"),
    "interview": ("/tracing/cases/{case}/interview/", None, "district"),
    "order_extend": ("/quarantine/orders/{order}/extend/", None, "commune"),
    "order_move": ("/quarantine/orders/{order}/move/", None, "commune"),
    "order_end": ("/quarantine/orders/{order}/end/", None, "commune"),
    # Without an account: what anyone on the internet may post.
    "register": ("/accounts/register/", None, None),
    "result_lookup": ("/ket-qua/", None, None),
    "venue_checkin": ("/c/{qr}", None, None),
    "quarantine_phone": ("/quarantine/p/{link}/", None, None),
}


def _user(world, name: str | None):
    return {"owner": world.owner, "lab": world.lab.staff}.get(name) or getattr(world.staff, name)


def _url(world, template: str) -> str:
    return template.format(person=world.people[0].pk, cluster=world.cluster.pk, venue=world.venue.pk,
                           campaign=world.campaign.pk, sample=world.tubes[0].pk, case=world.case.pk,
                           order=world.order.pk, qr=world.qr, link=world.link)


@pytest.mark.parametrize("name", list(PAGES))
def test_forms_never_fail(client, world, name):
    page_url, action, user = PAGES[name]
    url = _url(world, action or page_url)
    if user:
        client.force_login(_user(world, user))
    page = client.get(_url(world, page_url))
    assert page.status_code == 200, page.status_code
    found = form_fields(page.content.decode(), action=url if action else None)
    assert found.fields, f"no form posting to {url} on {page_url}"
    extra = {"step": ["save", "refresh", "upload"], "word_result": ["negative", "x"]} if name == "layout_save" else {}

    @FORMS
    @given(data=st.data())
    def post(data):
        body = dict(found.hidden)
        for field, choices in found.fields.items():
            options = [c for c in choices if c] + extra.get(field, [])
            if data.draw(st.integers(0, 5)) == 0:
                continue  # left out
            body[field] = data.draw(st.sampled_from(options) | value if options else value)
        response = client.post(url, body)
        assert response.status_code < 500, (body, response.content[:2000])

    post()


def test_form_fields_are_read_from_the_page():
    found = form_fields('<form method="get"><input name="q"></form><form method="post"><input type="hidden" '
                        'name="csrfmiddlewaretoken" value="t"><input type="hidden" name="step" value="save">'
                        '<select name="kind"><option value="">-</option><option value="a">A</option></select>'
                        '<textarea name="note"></textarea></form>')
    assert found.fields == {"step": [], "kind": ["", "a"], "note": []}
    assert found.hidden == {"step": "save"}
    assert not re.search("q", " ".join(found.fields))
