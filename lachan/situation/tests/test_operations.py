"""The operations-centre dashboard's data (lachan.situation.dashboard, feed): the indicators, the curve and the feed on
seeded data, within each role's jurisdiction."""

from datetime import date, datetime, time, timedelta
from itertools import count

import pytest
from django.utils import timezone

from lachan.accounts.roles import Perm, Role
from lachan.cases.models import Case, Cluster
from lachan.core.models import Policy
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.labs.models import Laboratory, Result
from lachan.labs.tests.lookup_fixtures import tube
from lachan.people.models import Person
from lachan.quarantine.models import Alert
from lachan.quarantine.tests.monitoring_fixtures import make_order
from lachan.risk.models import RiskAssessment, RiskInput
from lachan.situation import dashboard as ops
from lachan.situation import feed
from lachan.tracing.models import Contact, TracingRun

pytestmark = pytest.mark.django_db

TODAY = date(2021, 8, 20)
NOW = timezone.make_aware(datetime.combine(TODAY, time(14, 0)))
_n = count(1)


def at(days_ago: int = 0, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(TODAY - timedelta(days=days_ago), time(hour, 0)))


def person(commune, name="Người Thử"):
    return Person.objects.create(full_name=f"{name} {next(_n)}", commune=commune)


def case(commune, when, origin="community", *, cluster=None, traced=True):
    n = next(_n)
    c = Case.objects.create(person=person(commune), code=f"F0-82-{n:06d}", confirmed_at=when, sample_date=when.date(),
                            origin=origin, status_since=when, infectious_from=when.date() - timedelta(days=2),
                            isolated_at=when, cluster=cluster)
    if traced:
        TracingRun.objects.create(case=c, policy_version="t", window_start=when - timedelta(days=3), window_end=when)
    return c


@pytest.fixture
def seeded_now(units):
    """Seconds ago: 3 community cases and 2 in quarantine in the commune, 1 community case in another district's
    commune; an order in force in each with an open alert about leaving (a minute ago here, two there)."""
    now = timezone.now()
    for _ in range(3):
        case(units.commune, now - timedelta(seconds=30))
    for _ in range(2):
        case(units.commune, now - timedelta(seconds=20), "in_quarantine")
    case(units.other_commune, now - timedelta(seconds=10))
    here, there = make_order(units.commune), make_order(units.other_commune)
    alerts = [Alert.objects.create(kind="violation", order=order, commune=order.commune,
                                   raised_at=now - timedelta(minutes=n)) for n, order in enumerate((here, there), 1)]
    return {"order": here, "far": there, "alerts": alerts}


@pytest.fixture
def cases_world(units):
    """Commune: 3 community cases and 2 in quarantine today, 1 community 3 days ago, 2 community 10 days ago.
    Another district's commune: 1 community case today. One case 70 days ago (outside every window)."""
    for _ in range(3):
        case(units.commune, at(0, 8))
    for _ in range(2):
        case(units.commune, at(0, 10), "in_quarantine")
    case(units.commune, at(3))
    case(units.commune, at(10))
    case(units.commune, at(10, 23))
    case(units.other_commune, at(0, 7))
    case(units.commune, at(70))
    # A case later than `now` (tomorrow morning) is not today's.
    case(units.commune, at(-1, 1))
    return units


def test_new_cases_today_and_over_7_days_by_origin(cases_world, staff):
    found, _curve = ops.cases_and_curve(ops.ops_scope(staff.commune), now=NOW)
    assert found["today"] == {"total": 5, "community": 3, "in_quarantine": 2}
    assert found["week"] == {"total": 6, "community": 4, "in_quarantine": 2}
    assert found["previous_week"] == {"total": 2, "community": 2, "in_quarantine": 0}
    assert found["change"] == 4 and found["change_percent"] == 200.0
    # The province sees the other district's case too; the other commune's station only that one.
    province, _c = ops.cases_and_curve(ops.ops_scope(staff.province), now=NOW)
    assert province["today"]["total"] == 6 and province["week"]["total"] == 7
    other, _c = ops.cases_and_curve(ops.ops_scope(staff.other_commune), now=NOW)
    assert other["today"] == {"total": 1, "community": 1, "in_quarantine": 0}
    assert other["change_percent"] is None  # nothing the week before: no percentage


def test_epidemic_curve_60_days_stacked_with_7_day_average(cases_world, staff):
    _found, curve = ops.cases_and_curve(ops.ops_scope(staff.commune), now=NOW)
    days = curve["days"]
    assert len(days) == 60 and days[-1]["day"] == TODAY and days[0]["day"] == TODAY - timedelta(days=59)
    assert days[-1] == {"day": TODAY, "community": 3, "in_quarantine": 2, "total": 5, "average": round(6 / 7, 2)}
    assert days[-11]["total"] == 2 and days[-11]["day"] == TODAY - timedelta(days=10)  # 09:00 and 23:00, one day
    assert days[-4]["average"] == round(1 / 7, 2)  # 3 days ago: the 7 days to it hold that day's case only
    assert days[-5]["average"] == round(2 / 7, 2)  # 4 days ago: the two of 10 days ago are in its 7 days
    assert sum(d["total"] for d in days) == 8 and curve["peak"] == 5


def test_quarantine_and_isolation_orders_in_force(units, staff):
    make_order(units.commune, contact_tier=1)
    make_order(units.commune, contact_tier=2)
    make_order(units.commune, kind="isolation")
    make_order(units.commune, status="released")
    make_order(units.other_commune, contact_tier=1)
    found = ops.quarantine_now(ops.ops_scope(staff.commune))
    assert found == {"quarantine": 2, "quarantine_f1": 1, "quarantine_facility": 0, "quarantine_home": 2,
                     "isolation": 1, "isolation_facility": 0, "isolation_home": 1}
    assert ops.quarantine_now(ops.ops_scope(staff.province))["quarantine"] == 3


def _alert(order, kind, status="open", when=None, about=None):
    return Alert.objects.create(kind=kind, order=order, commune=order.commune, raised_at=when or timezone.now(),
                                status=status, about_on=about)


def test_open_alerts_are_those_not_yet_handled(units, staff):
    here, there = make_order(units.commune), make_order(units.other_commune)
    _alert(here, "violation")
    _alert(here, "symptoms", "acknowledged")
    _alert(here, "missed_report", "handled", about=TODAY)
    _alert(here, "silent", "closed")
    _alert(there, "violation")
    found = ops.open_alerts(ops.ops_scope(staff.commune))
    assert found["total"] == 2 and found["unacknowledged"] == 1 and found["urgent"] == 2
    assert found["by_kind"]["violation"] == 1 and found["by_kind"]["symptoms"] == 1
    assert found["by_kind"]["missed_report"] == 0
    assert ops.open_alerts(ops.ops_scope(staff.province))["total"] == 3


@pytest.fixture
def lab_world(units, make_user):
    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="Lab A",
                                                               commune=units.commune))
    other = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="Lab B",
                                                                 commune=units.other_commune))
    people = [person(units.commune) for _ in range(8)]
    far = [person(units.other_commune) for _ in range(2)]
    released = NOW - timedelta(hours=2)
    # Today: a positive individual tube, a negative pool of 3, a positive pool of 2 (counts nobody yet).
    positive = tube(people[0:1], lab=lab, status="released", collected_at=released - timedelta(hours=6),
                    released_at=released, result=Result.POSITIVE)
    tube(people[1:4], lab=lab, status="released", collected_at=released - timedelta(hours=6), released_at=released,
         result=Result.NEGATIVE)
    pool = tube(people[4:6], lab=lab, status="released", collected_at=released - timedelta(hours=6),
                released_at=released, result=Result.POSITIVE)
    # Three days ago: a negative individual tube; eight days ago (outside the 7 days): another.
    tube(people[6:7], lab=lab, status="released", collected_at=at(3, 6), released_at=at(3), result=Result.NEGATIVE)
    tube(people[7:8], lab=lab, status="released", collected_at=at(8, 6), released_at=at(8), result=Result.NEGATIVE)
    # Not released yet; and the other laboratory's negative tube of people living in the other district.
    tube(people[6:7], lab=lab, status="received", collected_at=released)
    tube(far, lab=other, status="released", collected_at=released - timedelta(hours=3), released_at=released,
         result=Result.NEGATIVE)
    return {"lab": lab, "other": other, "positive": positive, "pool": pool,
            "lab_user": make_user(Role.LAB_STAFF, place=lab.place, username="labuser")}


def test_tests_and_positivity_in_individual_equivalent_results(units, staff, lab_world):
    found = ops.tests(ops.ops_scope(staff.province), now=NOW)
    # Today: the positive (1) + the negative pool's 3 members + the other lab's pool of 2 = 6 results, 1 positive;
    # and the positive pool as one positive test: 7 tests, 2 positive.
    assert found["today"] == {"results": 7, "positives": 2, "positivity": round(200 / 7, 2)}
    assert found["week"] == {"results": 8, "positives": 2, "positivity": 25.0}
    assert found["tubes"]["individual"] == {"today": 1, "today_positive": 1, "week": 2, "week_positive": 1}
    assert found["tubes"]["pooled"] == {"today": 3, "today_positive": 1, "week": 3, "week_positive": 1}
    # The laboratory sees its own tubes only; the commune station the results of its residents.
    lab = ops.tests(ops.ops_scope(lab_world["lab_user"]), now=NOW)
    assert lab["today"]["results"] == 5 and lab["tubes"]["pooled"]["today"] == 2
    commune = ops.tests(ops.ops_scope(staff.commune), now=NOW)
    assert commune["today"] == {"results": 5, "positives": 2, "positivity": 40.0}


def test_a_positive_pool_alone_is_not_zero_positivity(units, staff):
    """Item 21 of issue 12: a negative individual tube and a positive pool whose members are not re-tested yet
    showed "0.0 %" beside the positive pool."""
    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name="Lab P",
                                                               commune=units.commune))
    released = NOW - timedelta(hours=1)
    tube([person(units.commune)], lab=lab, status="released", collected_at=released - timedelta(hours=5),
         released_at=released, result=Result.NEGATIVE)
    tube([person(units.commune) for _ in range(5)], lab=lab, status="released",
         collected_at=released - timedelta(hours=5), released_at=released, result=Result.POSITIVE)
    found = ops.tests(ops.ops_scope(staff.province), now=NOW)
    assert found["today"] == {"results": 2, "positives": 1, "positivity": 50.0}


def test_vaccination_coverage_entered_nearest_unit_first(units, staff):
    assert ops.vaccination(ops.ops_scope(staff.district), today=TODAY) == {"kinds": [], "as_of": None}
    RiskInput.objects.create(unit=units.province, kind="vax_adults_1dose", value=71.5, as_of=TODAY - timedelta(days=9))
    RiskInput.objects.create(unit=units.province, kind="vax_adults_1dose", value=74.0, as_of=TODAY - timedelta(days=2))
    RiskInput.objects.create(unit=units.province, kind="vax_elderly_full", value=60.0, as_of=TODAY - timedelta(days=2))
    RiskInput.objects.create(unit=units.district, kind="vax_elderly_full", value=82.25, as_of=TODAY - timedelta(days=5))
    RiskInput.objects.create(unit=units.province, kind="vax_adults_full", value=50.0, as_of=TODAY + timedelta(days=1))
    district = ops.vaccination(ops.ops_scope(staff.district), today=TODAY)
    by_kind = {k["kind"]: k for k in district["kinds"]}
    assert set(by_kind) == {"vax_adults_1dose", "vax_elderly_full"}  # tomorrow's value is not entered "as of" today
    assert by_kind["vax_adults_1dose"]["value"] == 74.0 and by_kind["vax_adults_1dose"]["unit"] == units.province.name
    assert by_kind["vax_elderly_full"]["value"] == 82.2 and by_kind["vax_elderly_full"]["unit"] == units.district.name
    assert district["as_of"] == TODAY - timedelta(days=2)
    province = {k["kind"]: k["value"] for k in ops.vaccination(ops.ops_scope(staff.province), today=TODAY)["kinds"]}
    assert province == {"vax_adults_1dose": 74.0, "vax_elderly_full": 60.0}
    # Only with the permission to read risk data (a commune station's role may or may not hold it).
    station = ops.vaccination(ops.ops_scope(staff.commune), today=TODAY)
    assert (station is None) == (not staff.commune.has_perm_code(Perm.RISK_VIEW))


def test_units_at_each_risk_level_on_the_latest_day_assessed(units, staff):
    policy = Policy.objects.create(kind="risk", version="test-dash", valid_from=date(1900, 1, 1),
                                   valid_to=date(1900, 1, 2), rules={})
    communes = list(AdminUnit.objects.filter(parent=units.district, level=AdminLevel.COMMUNE).order_by("code"))
    old = TODAY - timedelta(days=3)
    for n, commune in enumerate(communes):
        level = None if n == 0 else (4 if n == 1 else 1 + n % 3)
        RiskAssessment.objects.create(unit=commune, on=TODAY - timedelta(days=1), level=level, policy=policy,
                                      computed_at=NOW)
        RiskAssessment.objects.create(unit=commune, on=old, level=1, policy=policy, computed_at=NOW)
    RiskAssessment.objects.create(unit=units.district, on=TODAY - timedelta(days=1), level=3, policy=policy,
                                  computed_at=NOW)
    RiskAssessment.objects.create(unit=units.other_commune, on=TODAY, level=4, policy=policy, computed_at=NOW)
    found = ops.risk_levels(ops.ops_scope(staff.district), today=TODAY)
    expected = {"1": 0, "2": 0, "3": 0, "4": 0}
    for n in range(1, len(communes)):
        expected[str(4 if n == 1 else 1 + n % 3)] += 1
    assert found == {"on": TODAY - timedelta(days=1), "levels": expected, "not_assessed": 1, "own_level": 3}
    province = ops.risk_levels(ops.ops_scope(staff.province), today=TODAY)
    assert province["on"] == TODAY and province["levels"] == {"1": 0, "2": 0, "3": 0, "4": 1}


def test_each_role_reads_only_its_blocks(units, staff, make_user, lab_world):
    lab = ops.operations_summary(user=lab_world["lab_user"], now=NOW)
    assert lab["cases"] is lab["quarantine"] is lab["alerts"] is lab["curve"] is lab["risk"] is None
    assert lab["tests"]["today"]["results"] == 5  # with its positive pool as one test
    enterprise_place = Place.objects.create(kind=PlaceKind.ENTERPRISE, name="Công ty May", commune=units.commune)
    enterprise = make_user(Role.ENTERPRISE_OFFICER, place=enterprise_place)
    found = ops.operations_summary(user=enterprise, now=NOW)
    assert all(found[k] is None for k in ("cases", "quarantine", "alerts", "tests", "vaccination", "risk", "curve"))
    ioc = make_user(Role.IOC_OPERATOR, unit=units.province)
    found = ops.operations_summary(user=ioc, now=NOW)
    assert all(found[k] is not None for k in ("cases", "quarantine", "alerts", "tests", "vaccination", "risk"))
    commune = ops.operations_summary(user=staff.commune, now=NOW)
    assert commune["cases"] is not None and commune["quarantine"] is not None
    assert (commune["risk"] is None) == (not staff.commune.has_perm_code(Perm.RISK_VIEW))
    assert feed.operations_feed(user=enterprise, now=NOW) == []


# ---- the feed ---------------------------------------------------------------------------------------------------

@pytest.fixture
def feed_world(units, staff, lab_world):
    here, there = make_order(units.commune), make_order(units.other_commune)
    w = {
        "violation": _alert(here, "violation", when=NOW - timedelta(minutes=5)),
        "silent": _alert(here, "silent", "handled", when=NOW - timedelta(minutes=50)),
        "test_due": _alert(here, "test_due", when=NOW - timedelta(minutes=1), about=TODAY),
        "far": _alert(there, "symptoms", when=NOW - timedelta(minutes=3)),
        "old": _alert(here, "violation", "closed", when=NOW - timedelta(days=8)),
        "case": case(units.commune, NOW - timedelta(minutes=30)),
        "far_case": case(units.other_commune, NOW - timedelta(minutes=20)),
        "untraced": case(units.commune, NOW - timedelta(hours=30), traced=False),
        "fresh_untraced": case(units.commune, NOW - timedelta(hours=2), traced=False),
    }
    index = case(units.commune, NOW - timedelta(hours=40))
    for n in range(3):
        c = Contact.objects.create(index_case=index, person=person(units.commune), tier=1, commune=units.commune,
                                   exposed_at=NOW - timedelta(days=2))
        status = "to_call" if n < 2 else "reached"
        Contact.objects.filter(pk=c.pk).update(first_traced_at=NOW - timedelta(hours=36), call_status=status)
    c = Contact.objects.create(index_case=index, person=person(units.commune), tier=2, commune=units.commune,
                               exposed_at=NOW - timedelta(days=2))
    Contact.objects.filter(pk=c.pk).update(first_traced_at=NOW - timedelta(hours=36))  # F2: not overdue
    cluster = Cluster.objects.create(name="Chợ Mỹ Tho", kind="supermarket", commune=units.commune, opened_on=TODAY)
    Cluster.objects.filter(pk=cluster.pk).update(created_at=NOW - timedelta(minutes=10))
    w.update(index=index, cluster=cluster, **lab_world)
    return w


def test_feed_newest_first_from_every_module(feed_world, staff):
    w = feed_world
    items = feed.operations_feed(user=staff.province, now=NOW)
    ids = [i.id for i in items]
    assert ids[:3] == [f"alert-{w['far'].pk}", f"alert-{w['violation'].pk}", f"cluster-{w['cluster'].pk}"]
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    kinds = {i.kind for i in items}
    assert {"violation", "silent", "symptoms", "case_confirmed", "cluster_opened", "positive", "positive_pool",
            "tracing_not_run", "contacts_not_called"} <= kinds
    assert f"alert-{w['test_due'].pk}" not in ids and f"alert-{w['old'].pk}" not in ids  # routine; too old
    by_id = {i.id: i for i in items}
    violation = by_id[f"alert-{w['violation'].pk}"]
    assert violation.module == "quarantine" and violation.urgent
    # Every item names its commune with the district (issue 12 item 20: three towns have a "Phường 1").
    label = w["violation"].commune.label
    assert label.startswith(w["violation"].commune.name + ", ") and label.endswith("Mỹ Tho")
    assert {i.unit for i in items if i.kind in ("violation", "case_confirmed", "cluster_opened", "tracing_not_run",
                                               "contacts_not_called")
            and i.id not in (f"alert-{w['far'].pk}", f"case-{w['far_case'].pk}")} == {label}
    assert violation.text == f"Left the place of quarantine · order {w['violation'].order.code}"
    assert violation.url == f"/quarantine/orders/{w['violation'].order_id}/monitoring/"
    assert w["violation"].order.person.full_name not in " ".join(i.text for i in items)  # codes, never names
    untraced = by_id[f"untraced-{w['untraced'].pk}"]
    assert untraced.at == w["untraced"].confirmed_at + timedelta(hours=24)
    assert untraced.text == f"Case {w['untraced'].code}: tracing has not run 24 h after confirmation"
    assert f"untraced-{w['fresh_untraced'].pk}" not in by_id  # confirmed 2 h ago: not overdue yet
    uncalled = next(i for i in items if i.kind == "contacts_not_called")
    assert uncalled.text == f"Case {w['index'].code}: 2 F1s not called or quarantined 24 h after confirmation"
    assert uncalled.at == w["index"].confirmed_at + timedelta(hours=24) == NOW - timedelta(hours=16)
    assert by_id[f"sample-{w['positive'].pk}"].text == f"Positive result released · tube {w['positive'].code}"
    assert by_id[f"sample-{w['pool'].pk}"].kind == "positive_pool"


def test_feed_within_the_jurisdiction_and_the_role(feed_world, staff):
    w = feed_world
    commune = feed.operations_feed(user=staff.commune, now=NOW)
    ids = {i.id for i in commune}
    assert f"alert-{w['far'].pk}" not in ids and f"case-{w['far_case'].pk}" not in ids
    assert f"alert-{w['violation'].pk}" in ids and f"case-{w['case'].pk}" in ids
    other = {i.id for i in feed.operations_feed(user=staff.other_commune, now=NOW)}
    assert f"alert-{w['far'].pk}" in other and f"case-{w['far_case'].pk}" in other
    assert f"alert-{w['violation'].pk}" not in other and f"cluster-{w['cluster'].pk}" not in other
    uncalled = f"uncalled-{w['index'].pk}-{w['index'].person.commune_id}"
    assert uncalled in ids and uncalled not in other
    lab = feed.operations_feed(user=w["lab_user"], now=NOW)
    assert {i.module for i in lab} == {"labs"} and len(lab) == 2


def test_a_cluster_elsewhere_with_a_case_living_here_is_in_the_feed(feed_world, staff, units):
    market = Cluster.objects.create(name="Chợ Gò Công", kind="supermarket", commune=units.other_commune,
                                    opened_on=TODAY)
    Cluster.objects.filter(pk=market.pk).update(created_at=NOW - timedelta(minutes=5))
    assert f"cluster-{market.pk}" not in {i.id for i in feed.operations_feed(user=staff.commune, now=NOW)}
    case(units.commune, NOW - timedelta(hours=1), cluster=market)
    assert f"cluster-{market.pk}" in {i.id for i in feed.operations_feed(user=staff.commune, now=NOW)}
    assert f"cluster-{market.pk}" in {i.id for i in feed.operations_feed(user=staff.other_commune, now=NOW)}


def test_a_positive_corrected_puts_its_case_up_for_review(units, staff, lab_world):
    from lachan.labs.models import ResultCorrection, Swab
    from lachan.workflows.lab_results import lab_result_correct

    w = lab_world
    confirmed = case(units.commune, NOW - timedelta(hours=1))
    Swab.objects.filter(sample=w["positive"]).update(case=confirmed)
    lab_result_correct(sample=w["positive"], result=Result.NEGATIVE, reason="Nhầm ống", by=w["lab_user"], now=NOW)
    ResultCorrection.objects.update(created_at=NOW - timedelta(minutes=3))
    key = f"correction-{ResultCorrection.objects.get().pk}-{confirmed.pk}"
    item = next(i for i in feed.operations_feed(user=staff.commune, now=NOW) if i.id == key)
    assert item.kind == "result_corrected" and item.urgent and item.module == "cases"
    assert w["positive"].code in item.text and confirmed.code in item.text and "negative" in item.text
    assert item.url == f"/cases/{confirmed.pk}/" and item.unit == units.commune.label
    assert key in {i.id for i in feed.operations_feed(user=staff.province, now=NOW)}
    # Not another commune's business; and a correction between two negatives puts nobody up for review.
    assert key not in {i.id for i in feed.operations_feed(user=staff.other_commune, now=NOW)}
    ResultCorrection.objects.update(previous_result=Result.NEGATIVE)
    assert not [i for i in feed.operations_feed(user=staff.province, now=NOW) if i.kind == "result_corrected"]


def test_feed_since_and_limit(feed_world, staff):
    w = feed_world
    since = NOW - timedelta(minutes=15)
    items = feed.operations_feed(user=staff.province, since=since, now=NOW)
    assert [i.id for i in items] == [f"alert-{w['far'].pk}", f"alert-{w['violation'].pk}",
                                     f"cluster-{w['cluster'].pk}"]
    assert [i.id for i in feed.operations_feed(user=staff.province, limit=1, now=NOW)] == [f"alert-{w['far'].pk}"]
    naive = timezone.make_naive(since)  # a time without zone is local time
    assert len(feed.operations_feed(user=staff.province, since=naive, now=NOW)) == 3
    # `since` earlier than the look-back is the look-back: the alert of 8 days ago never comes back.
    ancient = feed.operations_feed(user=staff.province, since=NOW - timedelta(days=400), limit=200, now=NOW)
    assert f"alert-{w['old'].pk}" not in {i.id for i in ancient}
    for bad in (0, feed.FEED_MAX + 1, 10_000):
        with pytest.raises(feed.FeedError):
            feed.operations_feed(user=staff.province, limit=bad, now=NOW)


def test_live_reads_keep_the_days_before_today_a_few_minutes(units, staff):
    from lachan.core.caching import caches_clear_all

    now = timezone.now()
    ops_scope = ops.ops_scope(staff.commune)
    first, _curve = ops.cases_and_curve(ops_scope)
    case(units.commune, now - timedelta(seconds=5))  # today: seen at once
    case(units.commune, now - timedelta(days=2))  # an earlier day, entered late: seen once the kept days expire
    second, _curve = ops.cases_and_curve(ops_scope)
    assert second["today"]["total"] == first["today"]["total"] + 1
    assert second["week"]["total"] == first["week"]["total"] + 1
    caches_clear_all()
    assert ops.cases_and_curve(ops_scope)[0]["week"]["total"] == first["week"]["total"] + 2


def test_feed_tells_the_province_of_repeated_refusals(client, staff):
    from uuid import uuid4

    from lachan.accounts.selectors import DENIAL_THRESHOLD

    client.force_login(staff.commune)
    for _ in range(DENIAL_THRESHOLD):
        client.get(f"/api/people/{uuid4()}", REMOTE_ADDR="10.1.2.3")
    items = [i for i in feed.operations_feed(user=staff.province) if i.module == "security"]
    assert [(i.kind, i.urgent, i.extra) for i in items] == [("repeated_refusals", True, {"denials": DENIAL_THRESHOLD})]
    assert "commune" in items[0].text and "10.1.2.3" in items[0].text
    # Not for those who may not read the audit trail, nor again once told (the next poll's window).
    assert not [i for i in feed.operations_feed(user=staff.epidemiologist) if i.module == "security"]
    later = feed.operations_feed(user=staff.province, since=timezone.now())
    assert not [i for i in later if i.module == "security"]
    client.force_login(staff.province)
    api = client.get("/api/operations/feed").json()
    assert any(item["module"] == "security" and item["module_label"] == "Security" for item in api["items"])
