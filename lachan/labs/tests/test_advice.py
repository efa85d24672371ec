"""Pool size advice: Dorfman's formula against known values, the positivity estimator (individual-equivalent
results), the province's rate for communes with too few results, the page and the campaign pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.accounts.roles import Role
from lachan.geo.models import Place, PlaceKind
from lachan.labs.dashboard import advice
from lachan.labs.models import Campaign, Laboratory, Result, SampleStatus
from lachan.labs.tests.lookup_fixtures import fresh_cache, tube  # noqa: F401
from lachan.people.models import Person

# ---- the formula (no database) ---------------------------------------------------------------------------

@pytest.mark.parametrize(("p", "k", "expected"), [
    (0.01, 10, 0.1 + 1 - 0.99 ** 10), (0.01, 11, 0.19557), (0.05, 5, 0.42622), (0.2, 3, 0.82133),
    (0.0, 4, 0.25), (0.3, 1, 1.0)])
def test_tests_per_person(p, k, expected):
    assert advice.tests_per_person(p, k) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(("p", "low", "high", "k"), [
    (0.01, 2, 50, 11),  # unconstrained: the classic optimum
    (0.01, 2, 10, 10),  # the policy's maximum
    (0.05, 2, 10, 5),
    (0.2, 2, 10, 3),
    (0.3, 2, 10, 3),
    (0.31, 2, 10, None),  # pooling no longer helps
    (0.5, 2, 10, None),
    (1.0, 2, 10, None),
    (0.0, 2, 10, 10),  # nobody positive: the largest pool
    (0.001, 2, 50, 32),
    (0.05, 6, 10, 6),  # the policy's minimum
    (0.01, 4, 4, 4),
])
def test_best_pool_size(p, low, high, k):
    assert advice.best_pool_size(p, min_size=low, max_size=high) == k


def test_kits_saved_and_bad_rates():
    assert advice.kits_saved(0.01, 10) == 804
    assert advice.kits_saved(0.05, 5) == 574
    assert advice.kits_saved(0.4, None) == 0
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError):
            advice.best_pool_size(p)


def test_advise_uses_the_province_rate_for_few_results():
    province = advice.advise(1000, 10, fallback=None, min_size=2, max_size=10)
    assert province.source == "province" and province.pool_size == 10 and province.saved == 804
    few = advice.advise(49, 20, fallback=province, min_size=2, max_size=10)
    assert few.source == "province" and few.rate == 0.01 and few.own_percent == pytest.approx(100 * 20 / 49)
    enough = advice.advise(50, 20, fallback=province, min_size=2, max_size=10)
    assert enough.source == "commune" and enough.individual and enough.saved == 0
    none = advice.advise(10, 1, fallback=advice.advise(10, 1, fallback=None, min_size=2, max_size=10),
                         min_size=2, max_size=10)
    assert none.source == "none" and none.pool_size is None and not none.individual


# ---- the estimator -------------------------------------------------------------------------------------

def released(people, result, *, lab, pooled=None, hours_ago=24, status=SampleStatus.RELEASED):
    """A tube released `hours_ago` hours ago (or in another status)."""
    now = timezone.now()
    return tube(people, lab=lab, status=status, pooled=pooled, collected_at=now - timedelta(hours=hours_ago + 20),
                result=result if status != SampleStatus.COLLECTED else "",
                released_at=now - timedelta(hours=hours_ago) if status == SampleStatus.RELEASED else None)


@pytest.fixture
def data(units):
    place = Place.objects.create(kind=PlaceKind.LABORATORY, name="CDC", commune=units.commune)
    lab = Laboratory.objects.create(place=place)

    def people(n, commune):
        return [Person.objects.create(full_name=f"P {commune.code} {i}", commune=commune) for i in range(n)]

    here = people(60, units.commune)
    few = people(3, units.commune2)
    # the first commune: 8 negative pools of 5 (40), 10 individual negatives, 2 individual positives (re-tests
    # of a positive pool of 5, which does not count itself), then what never counts
    for i in range(8):
        released(here[i * 5:i * 5 + 5], Result.NEGATIVE, lab=lab)
    for person in here[40:50]:
        released([person], Result.NEGATIVE, lab=lab)
    released(here[50:55], Result.POSITIVE, lab=lab)
    for person in here[50:52]:
        released([person], Result.POSITIVE, lab=lab)
    released([here[55]], Result.INCONCLUSIVE, lab=lab)
    released([here[56]], Result.INVALID, lab=lab)
    released([here[57]], Result.POSITIVE, lab=lab, status=SampleStatus.TESTED)  # not released
    released([here[58]], Result.POSITIVE, lab=lab, hours_ago=24 * 20)  # outside the 14 days
    released([here[59]], "", lab=lab, status=SampleStatus.COLLECTED)
    # the second commune: three results only
    for person in few:
        released([person], Result.NEGATIVE, lab=lab)
    return {"lab": lab, "here": here, "few": few}


@pytest.mark.django_db
def test_positivity_counts_individual_equivalent_results(units, data):
    counts = advice.positivity_by_commune(first_day=advice.first_day(14))
    assert counts[units.commune.pk] == (52, 2)
    assert counts[units.commune2.pk] == (3, 0)
    assert advice.province_positivity(14) == counts
    assert units.other_commune.pk not in counts


@pytest.mark.django_db
def test_window_of_calendar_days(units, data):
    assert advice.first_day(1) == timezone.localdate()
    assert advice.positivity_by_commune(first_day=advice.first_day(1)) == {}  # released 24 h ago: yesterday
    assert advice.positivity_by_commune(first_day=advice.first_day(2))[units.commune.pk] == (52, 2)
    assert advice.positivity_by_commune(first_day=advice.first_day(21))[units.commune.pk] == (53, 3)


@pytest.mark.django_db
def test_advice_table_falls_back_to_the_province_rate(units, data):
    table = advice.advice_table([units.commune, units.commune2, units.other_commune])
    assert (table.days, table.min_size, table.max_size) == (14, 2, 10)
    assert (table.province.tests, table.province.positives) == (55, 2)
    first, second, third = (r.advice for r in table.rows)
    assert first.source == "commune" and first.rate == pytest.approx(2 / 52)
    assert first.pool_size == advice.best_pool_size(2 / 52) == 6
    assert first.saved == advice.kits_saved(2 / 52, 6)
    assert second.source == "province" and second.rate == pytest.approx(2 / 55) and (second.tests, second.positives) == (3, 0)
    assert third.source == "province" and third.tests == 0


@pytest.mark.django_db
def test_no_advice_with_too_few_results_anywhere(units):
    table = advice.advice_table([units.commune])
    assert table.province.source == "none" and table.rows[0].advice.source == "none"


@pytest.mark.django_db
def test_counts_kept_ahead_are_read_again_without_the_swabs(units, data, django_assert_max_num_queries):
    first = advice.province_positivity(14)
    with django_assert_max_num_queries(5):  # periods, corrections, the counts, the last hour: no recount
        assert advice.province_positivity(14) == first


# ---- pages -----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_advice_page_per_jurisdiction(client, units, staff, data, make_user):
    client.force_login(staff.district)
    page = client.get(reverse("labs:advice")).content.decode()
    assert f'data-commune="{units.commune.code}"' in page and f'data-commune="{units.commune2.code}"' in page
    assert f'data-commune="{units.other_commune.code}"' not in page
    assert "pools of 6" in page and "province rate" in page and "3.85 %" in page
    assert "Province: 3.64 % positive of 55 results" in page
    client.force_login(staff.commune)
    page = client.get(reverse("labs:advice")).content.decode()
    assert page.count('data-testid="advice-row"') == 1
    client.force_login(make_user(Role.LAB_STAFF, place=data["lab"].place))
    page = client.get(reverse("labs:advice")).content.decode()
    assert f'data-commune="{units.other_commune.code}"' in page  # the province's communes
    client.force_login(make_user(Role.VENUE_OWNER))
    assert client.get(reverse("labs:advice")).status_code == 403


@pytest.mark.django_db
def test_advice_shown_where_sampling_is_planned(client, units, staff, data):
    campaign = Campaign.objects.create(name="Sàng lọc xã", kind="screening", unit=units.commune,
                                       starts_on=timezone.localdate(), pool_size=10, laboratory=data["lab"])
    client.force_login(staff.commune)
    page = client.get(reverse("labs:campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="pool-advice"' in page and 'data-testid="advice-line"' in page
    assert "pools of 6, saving" in page and "planned: 10" in page
    page = client.get(reverse("labs:campaign_edit", args=[campaign.pk])).content.decode()
    assert 'data-testid="pool-advice"' in page
    client.force_login(staff.district)
    page = client.get(reverse("labs:campaign_create")).content.decode()
    assert 'data-testid="advice-table"' in page and reverse("labs:advice") in page
    district = Campaign.objects.create(name="Sàng lọc TP", kind="screening", unit=units.district,
                                       starts_on=timezone.localdate(), pool_size=5)
    page = client.get(reverse("labs:campaign_detail", args=[district.pk])).content.decode()
    assert 'data-testid="advice-table"' in page and units.commune.name in page
    assert reverse("labs:advice") in client.get(reverse("labs:home")).content.decode()
