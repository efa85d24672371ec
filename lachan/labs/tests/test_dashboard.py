"""The laboratory dashboard: tubes waiting by laboratory and age, turnaround (median, 90th percentile),
positivity by commune and by local day, each role's jurisdiction, the page and its chart."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.labs.dashboard import services as board
from lachan.labs.models import Campaign, Laboratory, Result, SamplingSite
from lachan.labs.tests.lookup_fixtures import fresh_cache, tube  # noqa: F401
from lachan.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(units, staff, make_user):
    now = timezone.now()
    labs = []
    for name, commune in (("Lab A", units.commune), ("Lab B", units.other_commune)):
        labs.append(Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, name=name,
                                                                         commune=commune)))
    lab_a, lab_b = labs
    campaign = Campaign.objects.create(name="C", kind="screening", unit=units.province, starts_on=timezone.localdate())
    site_here = SamplingSite.objects.create(campaign=campaign, name="Here", commune=units.commune)
    site_far = SamplingSite.objects.create(campaign=campaign, name="Far", commune=units.other_commune)
    here = [Person.objects.create(full_name=f"H{i}", commune=units.commune) for i in range(40)]
    far = [Person.objects.create(full_name=f"F{i}", commune=units.other_commune) for i in range(20)]
    ago = lambda hours: now - timedelta(hours=hours)  # noqa: E731
    # waiting: lab A — collected 2 h, 13 h and 50 h ago (not received), received 30 h ago; lab B — one at 5 h
    tube(here[0:1], lab=lab_a, site=site_here, status="collected", collected_at=ago(2))
    tube(here[1:3], lab=lab_a, site=site_here, status="collected", collected_at=ago(13))
    tube(here[3:4], lab=lab_a, site=site_here, status="collected", collected_at=ago(50))
    tube(here[4:5], lab=lab_a, site=site_here, status="received", collected_at=ago(30))
    tube(far[0:1], lab=lab_b, site=site_far, status="received", collected_at=ago(5))
    tube(far[1:2], lab=None, site=site_far, status="collected", collected_at=ago(1))
    tube(far[2:3], lab=lab_b, site=site_far, status="rejected", collected_at=ago(3))  # not waiting
    # released in the last 7 days, lab A: turnarounds 10, 20, …, 100 h (one tube each); an older one
    for n in range(1, 11):
        tube(here[5 + n:6 + n], lab=lab_a, site=site_here, status="released", collected_at=ago(24 + n * 10),
             released_at=ago(24), result=Result.POSITIVE if n <= 2 else Result.NEGATIVE)
    tube(here[17:18], lab=lab_a, site=site_here, status="released", collected_at=ago(24 * 9), released_at=ago(24 * 8),
         result=Result.NEGATIVE)
    # lab B: a negative pool of 5 people of the other commune and one positive individual, 8 h each
    tube(far[3:8], lab=lab_b, site=site_far, status="released", collected_at=ago(20), released_at=ago(12),
         result=Result.NEGATIVE)
    tube(far[8:9], lab=lab_b, site=site_far, status="released", collected_at=ago(20), released_at=ago(12),
         result=Result.POSITIVE)
    return {"lab_a": lab_a, "lab_b": lab_b, "here": here, "far": far, "now": now, "staff": staff,
            "lab_a_user": make_user(Role.LAB_STAFF, place=lab_a.place, username="laba"),
            "lab_b_user": make_user(Role.LAB_STAFF, place=lab_b.place, username="labb")}


def by_lab(rows):
    return {(r.laboratory, r.status): r.buckets for r in rows}


def test_waiting_by_laboratory_and_age(world, staff):
    scope = board.dashboard_scope(staff.province)
    assert scope.kind == "all"
    rows = by_lab(board.waiting(scope, now=world["now"]))
    assert rows == {("Lab A", "collected"): [1, 1, 0, 1], ("Lab A", "received"): [0, 0, 1, 0],
                    ("Lab B", "received"): [1, 0, 0, 0], ("no laboratory yet", "collected"): [1, 0, 0, 0]}


def test_turnaround_median_and_90th_percentile(world, staff):
    rows = {t.laboratory: t for t in board.turnaround(board.dashboard_scope(staff.province), now=world["now"])}
    a, b = rows["Lab A"], rows["Lab B"]
    assert a.samples == 10  # the one released 8 days ago is not counted
    assert a.median_hours == pytest.approx(50, abs=0.1) and a.p90_hours == pytest.approx(90, abs=0.1)
    assert b.samples == 2 and b.median_hours == pytest.approx(8, abs=0.1) and b.p90_hours == pytest.approx(8, abs=0.1)


def test_percentile_of_histogram():
    assert board.percentile_of_histogram({0: 1}, 0.5) == 0.0
    bins = {100: 5, 200: 4, 900: 1}  # 10, 20 and 90 hours
    assert board.percentile_of_histogram(bins, 0.5) == 10.0
    assert board.percentile_of_histogram(bins, 0.9) == 20.0
    assert board.percentile_of_histogram(bins, 0.95) == 90.0
    assert board.percentile_of_histogram({}, 0.5) == 0.0


def test_positivity_by_commune_and_day(world, staff, units):
    scope = board.dashboard_scope(staff.province)
    communes = {c.commune.pk: (c.tests, c.positives) for c in board.positivity_by_commune(scope, days=14)}
    assert communes == {units.commune.pk: (11, 2), units.other_commune.pk: (6, 1)}  # 8 days ago included
    top = board.positivity_by_commune(scope, days=14, top=1)
    assert [c.commune.pk for c in top] == [units.commune.pk]  # the most positives first
    series = board.positivity_by_day(scope, days=28)
    assert len(series) == 28 and series[-1].day == timezone.localdate()
    days = {d.day: (d.tests, d.positives) for d in series if d.tests}
    yesterday = timezone.localtime(world["now"] - timedelta(hours=24)).date()
    half_day = timezone.localtime(world["now"] - timedelta(hours=12)).date()
    eight_days = timezone.localtime(world["now"] - timedelta(hours=24 * 8)).date()
    expected = {}
    for day, tests, positives in ((yesterday, 10, 2), (half_day, 6, 1), (eight_days, 1, 0)):
        t, p = expected.get(day, (0, 0))
        expected[day] = (t + tests, p + positives)
    assert days == expected


def test_local_day_boundaries(units, world, staff):
    """Released at 23:30 and 00:30 local time: two days, whatever UTC says (Viet Nam is UTC+7)."""
    today = timezone.localdate()
    late = timezone.make_aware(datetime.combine(today - timedelta(days=3), time(23, 30)))
    early = late + timedelta(hours=1)
    person = Person.objects.create(full_name="X", commune=units.commune2)
    for at in (late, early):
        tube([person], lab=world["lab_a"], site=None, status="released", collected_at=at - timedelta(hours=5),
             released_at=at, result=Result.POSITIVE)
    scope = board.DashScope("unit", commune_ids=(units.commune2.pk,))
    days = {d.day: d.positives for d in board.positivity_by_day(scope, days=7) if d.tests}
    assert days == {late.date() if timezone.is_naive(late) else timezone.localtime(late).date(): 1,
                    timezone.localtime(early).date(): 1}


def test_laboratory_staff_see_their_laboratory(world, units):
    scope = board.dashboard_scope(world["lab_b_user"])
    assert scope.kind == "lab" and scope.label == "Lab B"
    assert by_lab(board.waiting(scope, now=world["now"])) == {("Lab B", "received"): [1, 0, 0, 0]}
    assert [t.laboratory for t in board.turnaround(scope, now=world["now"])] == ["Lab B"]
    assert {c.commune.pk for c in board.positivity_by_commune(scope, days=14)} == {units.other_commune.pk}
    assert sum(d.tests for d in board.positivity_by_day(scope)) == 6


def test_unit_users_see_their_sites_and_residents(world, staff, units, make_user):
    scope = board.dashboard_scope(staff.commune)
    assert scope.kind == "unit" and units.commune.pk in scope.commune_ids
    waiting = by_lab(board.waiting(scope, now=world["now"]))
    assert set(waiting) == {("Lab A", "collected"), ("Lab A", "received")}
    assert [t.laboratory for t in board.turnaround(scope, now=world["now"])] == ["Lab A"]
    assert {c.commune.pk for c in board.positivity_by_commune(scope, days=14)} == {units.commune.pk}
    assert sum(d.tests for d in board.positivity_by_day(scope)) == 11
    other = board.dashboard_scope(staff.other_commune)
    assert {c.commune.pk for c in board.positivity_by_commune(other, days=14)} == {units.other_commune.pk}
    empty = board.dashboard_scope(make_user(Role.DISTRICT_OFFICER, unit=units.district.parent.children.exclude(
        pk__in=[units.district.pk, units.other_district.pk]).first()))
    assert board.waiting(empty, now=world["now"]) == [] and board.positivity_by_commune(empty, days=14) == []


def test_dashboard_page(client, world, staff, make_user):
    client.force_login(staff.province)
    response = client.get(reverse("labs:dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'class="bar"' in page and "polyline" in page
    assert page.count('data-testid="waiting-row"') == 4 and page.count('data-testid="turnaround-row"') == 2
    assert page.count('data-testid="commune-row"') == 2
    assert 'data-testid="waiting-collected">4<' in page and 'data-testid="waiting-received">2<' in page
    assert "50.0 h" in page and "90.0 h" in page
    assert 'data-testid="window-rate">17.65 %<' in page  # 3 positive of 17 over 14 days
    assert client.get(reverse("labs:dashboard"), {"days": "7"}).status_code == 200
    assert client.get(reverse("labs:dashboard"), {"days": "99999"}).status_code == 200  # the policy's window
    client.force_login(world["lab_a_user"])
    page = client.get(reverse("labs:dashboard")).content.decode()
    assert "Lab B" not in page and page.count('data-testid="turnaround-row"') == 1
    assert reverse("labs:dashboard") in client.get(reverse("labs:home")).content.decode()
    client.force_login(make_user(Role.VENUE_OWNER))
    assert client.get(reverse("labs:dashboard")).status_code == 403
    client.logout()
    assert client.get(reverse("labs:dashboard")).status_code == 302


def test_dashboard_of_an_empty_province(client, staff):
    client.force_login(staff.province)
    page = client.get(reverse("labs:dashboard")).content.decode()
    assert "No tube is waiting." in page and "No result released in the last 7 days." in page
    assert "<svg" in page


def test_a_positive_pool_counts_as_a_positive_test_everywhere(units, world, staff, client):
    """Item 21 of issue 12: a positive pool beside "0.0 %". Every positivity shown goes through
    labs.stats.positivity_percent: the pool is one test and one positive."""
    person = Person.objects.create(full_name="P", commune=units.commune2)
    members = [person] + [Person.objects.create(full_name=f"P{i}", commune=units.commune2) for i in range(3)]
    released = world["now"] - timedelta(hours=1)
    tube(members, lab=world["lab_a"], site=None, status="released", collected_at=released - timedelta(hours=5),
         released_at=released, result=Result.POSITIVE)
    scope = board.DashScope("unit", commune_ids=(units.commune2.pk,))
    today = timezone.localtime(released).date()
    day = next(d for d in board.positivity_by_day(scope, days=7) if d.day == today)
    assert (day.tests, day.positives, day.percent) == (1, 1, 100.0)
    (commune,) = board.positivity_by_commune(scope, days=7)
    assert (commune.commune.pk, commune.tests, commune.positives, commune.percent) == (units.commune2.pk, 1, 1, 100.0)
    client.force_login(staff.province)
    page = client.get("/labs/dashboard/").content.decode()
    assert 'data-testid="window-rate">0.00' not in page
