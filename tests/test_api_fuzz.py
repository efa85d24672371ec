"""Property-based tests of the whole API from its own OpenAPI document (schemathesis): whatever a
client sends, the answer is never a server error.

Random ids only reach the "not found" branch of an operation on a record. So the operations are tried on a small
generated province (the demo's: cases traced, orders, alerts, samples, a lockdown area...) and each id in a path is
drawn from real records of the reader's jurisdiction, of another district, or left random."""

from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from lachan.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
READER = "district"  # the demo's district officer
LAB_READER = "lab"  # the demo laboratory's staff, for the laboratory's side
LAB_PATHS = ("/labs/samples/receive", "/labs/queue")
DISTRICTS: list[str] = []  # the reader's district, then another one (for unit codes)
PATHS: list[str] = []  # their paths
SIDES: dict[str, tuple[int, int]] = {}  # path parameter → how many real ids of the reader's district, of another
REAL_IDS: dict[str, list[str]] = {}  # path parameter → ids of real records (both jurisdictions)
TRIED: dict[str, set] = {"seeded": set(), "real": set()}  # path parameters met, and those tried with a real id


@schema.hook("flatmap_path_parameters")
def real_ids(ctx, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries({
        name: st.sampled_from([*REAL_IDS[name], value]) if REAL_IDS.get(name) else st.just(value)
        for name, value in path_parameters.items()})


def _ids(name: str, queryset, unit_path: str | None = None, *, field: str = "pk", limit: int = 3) -> list[str]:
    """A few ids of each jurisdiction when the records have one (unit_path: the lookup to their unit's path);
    how many of each is kept in SIDES."""
    from django.db.models import Q

    if unit_path is None:
        return [str(v) for v in queryset.values_list(field, flat=True)[: limit * 2]]
    own = PATHS[0]
    inside = Q(**{unit_path: own}) | Q(**{f"{unit_path}__startswith": own + "/"})
    ids = [str(v) for v in queryset.filter(inside).values_list(field, flat=True)[:limit]]
    outside = [str(v) for v in queryset.exclude(inside).values_list(field, flat=True)[:limit]]
    SIDES[name] = (len(ids), len(outside))
    return ids + outside


def _records_of_both_districts(own, other) -> None:
    """What the demo province lacks for the id-based operations, made through the services in the reader's
    district and in another one (so both the work and the jurisdiction refusals are reached): a cluster, an
    alert, a screening campaign with a site, tubes in every status (collected, received, tested, released
    positive: its swabs due for a re-test), a result file applied and one refused with a layout, a pair of
    duplicates, API tokens of the reader and of someone else."""
    from datetime import timedelta

    from django.utils import timezone

    from lachan.accounts.actors import system_actor
    from lachan.accounts.models import User
    from lachan.accounts.services import api_token_create
    from lachan.cases.services import cluster_create
    from lachan.labs import sampling as labs
    from lachan.labs.models import Laboratory, Result
    from lachan.labs.results import files as lab_files
    from lachan.labs.results import imports as lab_imports
    from lachan.labs.results import result_enter
    from lachan.people.duplicates import duplicates_detect_for
    from lachan.people.models import Person
    from lachan.people.services import person_create
    from lachan.quarantine.facilities import facility_create, room_create
    from lachan.quarantine.models import AlertKind, Facility, Order, OrderKind, Setting
    from lachan.quarantine.monitoring import alert_raise
    from lachan.quarantine.orders import order_create

    actor = system_actor("fuzz")
    lab_user = User.objects.get(username="lab")
    own_lab = Laboratory.objects.get(place_id=lab_user.jurisdiction_place_id)
    other_lab = Laboratory.objects.exclude(pk=own_lab.pk).order_by("id").first()
    today = timezone.localdate()
    for n, (district, lab) in enumerate([(own, own_lab), (other, other_lab)]):
        communes = list(district.children.order_by("code"))
        commune = next(c for c in communes if Person.objects.active().filter(commune=c).count() >= 2)
        cluster_create(name=f"Ổ dịch chợ {n}", kind="venue", commune=commune, by=actor)
        people = list(Person.objects.active().filter(commune__path__startswith=district.path + "/").order_by("id")[:12])
        order = Order.objects.filter(commune__path__startswith=district.path + "/").order_by("id").first()
        if order is None:  # an F1 at home, under the demo's policy
            order = order_create(person=people[11], kind=OrderKind.QUARANTINE, setting=Setting.HOME, starts_on=today,
                                 exposed_on=today - timedelta(days=1), contact_tier=1, by=actor)
        if not Facility.objects.filter(place__commune__path__startswith=district.path + "/").exists():
            facility = facility_create(name=f"Khu cách ly {district.short_name}", commune=commune, by=actor)
            room_create(facility=facility, name="Phòng 1", beds=4, by=actor)
        alert_raise(order=order, kind=AlertKind.SYMPTOMS, detail={"temperature": 38.6}, notify=False)
        campaign = labs.campaign_create(name=f"Sàng lọc {district.name}", kind="screening", unit=district,
                                        starts_on=today - timedelta(days=2), pool_size=3, laboratory=lab, by=actor)
        site = labs.site_create(campaign=campaign, name="Nhà văn hoá", commune=commune, by=actor)
        at = timezone.now() - timedelta(hours=6)
        pools = [labs.sample_register(campaign=campaign, site=site, swabs=people[i:i + 3], generate_code=True,
                                      collected_at=at, by=actor) for i in (0, 3, 6)]
        labs.sample_register(campaign=campaign, site=site, swabs=people[9:10], pooled=False, generate_code=True,
                             collected_at=at, by=actor)  # collected, not received
        labs.samples_receive(codes=[p.code for p in pools], by=actor)
        tester = lab_user if lab == own_lab else actor
        result_enter(sample=pools[0], result=Result.POSITIVE, ct_value=24.5, by=tester)  # its swabs: re-tests
        result_enter(sample=pools[1], result=Result.NEGATIVE, release=False, by=tester)  # tested, to release
        code = pools[2].code  # received: a result file gives it one
        table = f"Mã mẫu,Kết quả,Ngày xét nghiệm\n{code},Âm tính,{today:%d/%m/%Y}\n".encode()
        checked = lab_imports.import_check(laboratory=lab, data=table, filename="ket-qua.csv", by=tester)
        lab_imports.import_apply(checked=checked, release=False, by=tester)
        refused = lab_imports.import_check(laboratory=lab, data=b"M\xc3\xa3 m\xe1\xba\xabu,K\xe1\xba\xbft qu\xe1\xba\xa3\n"
                                           b"KHONG-CO,?\n", filename="loi.csv", by=tester)
        lab_imports.import_refused(checked=refused, by=tester)
        lab_files.mapping_save(laboratory=lab, name="Mẫu CDC", columns={"code": "Mã mẫu", "result": "Kết quả"},
                               result_words={}, by=tester)
        twins = [person_create(by=actor, full_name="Nguyễn Văn Trùng", commune=commune, birth_date=f"198{n}-05-0{k}",
                               phone=f"09{n}8765432") for k in (1, 2)]
        duplicates_detect_for(person=twins[1])
    for username in ("district", "commune", "lab"):
        api_token_create(user=User.objects.get(username=username), name="máy quét", by=actor)


@pytest.fixture(scope="module")
def province(django_db_blocker):
    """The demo province, generated once for the module inside a transaction rolled back after it (as Django's
    TestCase does for a class: each test's own transaction is a savepoint within it)."""
    from django.db import transaction

    from conftest import _ensure_units
    from lachan.accounts.models import ApiToken
    from lachan.cases.models import Case, Cluster
    from lachan.core.models import Policy
    from lachan.core.policies import policy_kinds
    from lachan.labs.models import (
        Campaign,
        ColumnMapping,
        ResultImport,
        Sample,
        SamplingSite,
        Swab,
        SwabOutcome,
    )
    from lachan.notifications.models import Message
    from lachan.people.models import DuplicateCandidate, Person
    from lachan.quarantine.links import link_token
    from lachan.quarantine.models import Alert, Facility, FacilityRoom, Order
    from lachan.risk.models import LockdownArea, RiskAssessment
    from lachan.simulate.demo import demo_setup
    from lachan.tracing.models import Contact
    from lachan.venues.models import CheckIn, Venue

    django_db_blocker.unblock()
    module_atomic = transaction.atomic()
    module_atomic._from_testcase = True  # durable service blocks may nest in it, as in a TestCase's
    module_atomic.__enter__()
    try:
        _ensure_units()
        demo_setup(people=400, seed=5, tree="2021", province_code="82")
        from lachan.accounts.models import User
        from lachan.geo.models import AdminUnit

        own = User.objects.get(username=READER).jurisdiction_unit
        other = AdminUnit.objects.filter(parent=own.parent, level=own.level).exclude(pk=own.pk).order_by("code").first()
        DISTRICTS[:] = [own.code, other.code]
        PATHS[:] = [own.path, other.path]
        _records_of_both_districts(own, other)
        lab = "laboratory__place__commune__path"
        REAL_IDS.update({
            "case_id": _ids("case_id", Case.objects, "person__commune__path"),
            "person_id": _ids("person_id", Person.objects, "commune__path"),
            "cluster_id": _ids("cluster_id", Cluster.objects, "commune__path"),
            "contact_id": _ids("contact_id", Contact.objects, "commune__path"),
            "order_id": _ids("order_id", Order.objects, "commune__path"),
            "alert_id": _ids("alert_id", Alert.objects, "commune__path"),
            "facility_id": _ids("facility_id", Facility.objects, "place__commune__path"),
            "room_id": _ids("room_id", FacilityRoom.objects, "facility__place__commune__path"),
            "campaign_id": _ids("campaign_id", Campaign.objects, "unit__path"),
            "site_id": _ids("site_id", SamplingSite.objects, "commune__path"),
            "sample_id": _ids("sample_id", Sample.objects.order_by("status"), "campaign__unit__path", limit=4),
            "swab_id": _ids("swab_id", Swab.objects.filter(outcome=SwabOutcome.RETEST), "person__commune__path"),
            "import_id": _ids("import_id", ResultImport.objects, lab),
            "mapping_id": _ids("mapping_id", ColumnMapping.objects, lab),
            "area_id": _ids("area_id", LockdownArea.objects),
            "assessment_id": _ids("assessment_id", RiskAssessment.objects, "unit__path"),
            "message_id": _ids("message_id", Message.objects),
            "venue_id": _ids("venue_id", Venue.objects, "place__commune__path"),
            "checkin_id": _ids("checkin_id", CheckIn.objects, "venue__place__commune__path"),
            "candidate_id": _ids("candidate_id", DuplicateCandidate.objects, "person_a__commune__path"),
            "token_id": _ids("token_id", ApiToken.objects, "user__jurisdiction_unit__path"),
            "code": [*_ids("code", Sample.objects.order_by("status"), "campaign__unit__path", field="code"), *DISTRICTS],
            "layer": ["risk", "cases", "lockdowns", "test_sites", "quarantine_facilities"],
            "kind": [entry.kind for entry in policy_kinds()],
            "version_id": _ids("version_id", Policy.objects, limit=6),
        })
        REAL_IDS["token"] = [link_token(UUID(pk)) for pk in REAL_IDS["order_id"]]
        yield REAL_IDS
        # The hook above stopping to work would silently bring back random ids only.
        assert not TRIED["seeded"] or TRIED["real"], "no operation was tried with a real id"
    finally:
        REAL_IDS.clear()
        transaction.set_rollback(True)
        module_atomic.__exit__(None, None, None)
        django_db_blocker.restore()


@pytest.fixture
def keep_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handler closes the database
    connection, and with it the test's transaction; Django's own test client detaches it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(province, db, keep_connection):
    """A bearer token of each reader (user name → raw key)."""
    from lachan.accounts.models import ApiToken, User

    keys = {}
    for username in (READER, LAB_READER):
        keys[username] = raw = ApiToken.generate()
        ApiToken.objects.create(user=User.objects.get(username=username), name="fuzz", prefix=raw[:8],
                                key_hash=ApiToken.hash(raw))
    return keys


def reader_of(operation) -> str:
    """The laboratory's side is tried by the demo laboratory's staff (a district officer is refused it all)."""
    if "labs: results" in (operation.tags or []) or operation.path.endswith(LAB_PATHS):
        return LAB_READER
    return READER


def test_every_path_parameter_is_tried_with_real_ids(province, db):
    """Every parameter in a path of the schema is drawn from real records (an operation added without them,
    or a renamed parameter, would silently be fuzzed with random ids only: the "not found" branch), and those
    of records in a jurisdiction from both the reader's district and another one (the refusals).
    `db` keeps this test among the database tests: pytest-django runs tests without it last, after the
    transactional ones have flushed the migrations' seeded policies."""
    names = {p["name"] for ops in schema.raw_schema["paths"].values() for op in ops.values()
             if isinstance(op, dict) for p in op.get("parameters", []) if p.get("in") == "path"}
    assert names, "the schema lists no path parameter: the check reads it wrongly"
    assert {n for n in names if not province.get(n)} == set(), "path parameters without real ids: add records"
    assert {n for n, (inside, outside) in SIDES.items() if not inside or not outside} == set(), (
        "records of one jurisdiction only: add some of the other district")
    assert {"case_id", "order_id", "sample_id", "alert_id", "cluster_id", "campaign_id", "swab_id", "import_id",
            "mapping_id", "candidate_id", "token_id"} <= set(SIDES)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, tokens):
    for name, value in (case.path_parameters or {}).items():
        if REAL_IDS.get(name):
            TRIED["seeded"].add(name)
            if str(value) in REAL_IDS[name]:
                TRIED["real"].add(name)
    response = case.call(headers={"Authorization": f"Bearer {tokens[reader_of(case.operation)]}"})
    case.validate_response(response, checks=[not_a_server_error])
    code_documented(case.operation, response)


def _codes(schema_part: dict) -> set[str] | None:
    """The codes an error schema lists (its `code` an enum, or several), None when it lists none."""
    components = schema.raw_schema["components"]["schemas"]
    if "$ref" in schema_part:
        schema_part = components[schema_part["$ref"].rsplit("/", 1)[1]]
    code = schema_part.get("properties", {}).get("code", {})
    parts = [components[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in code.get("anyOf", [code])]
    if not parts or any("enum" not in p for p in parts):
        return None
    return {value for p in parts for value in p["enum"]}


def code_documented(operation, response) -> None:
    """An error's code is one the operation's document lists (issue 13, R9): for its status when the document
    lists that status, else among every code it lists (ninja's 422 of an operation that declares none). An
    operation that lists no error schema promises nothing."""
    if not 400 <= response.status_code < 500 or "json" not in response.headers.get("Content-Type", ""):
        return
    body = response.json()
    if not isinstance(body, dict) or "code" not in body:
        return
    responses = schema.raw_schema["paths"][operation.path][operation.method.lower()]["responses"]
    listed = {status: _codes(r.get("content", {}).get("application/json", {}).get("schema", {}))
              for status, r in responses.items() if str(status).startswith("4")}
    codes = listed.get(str(response.status_code)) or set().union(*(c for c in listed.values() if c))
    if codes:
        assert body["code"] in codes, f"{operation.method} {operation.path} answered {response.status_code} " \
                                      f"{body['code']!r}, a code its document does not list"
