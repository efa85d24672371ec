"""The daily risk levels from the platform's own data: community cases only, by place of residence, over the
policy's window; clusters by kind where they are; the job and the command."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from lachan.cases import services as cases
from lachan.cases.models import HIGH_RISK_KINDS
from lachan.core.errors import PermissionDenied
from lachan.core.policies import policy_in_force
from lachan.core.scheduler import registered_jobs
from lachan.geo.models import AdminUnit
from lachan.people.models import Person
from lachan.risk.levels import risk_input_record
from lachan.risk.models import RiskAssessment
from lachan.workflows.risk_levels import risk_inputs_gather, risk_levels_compute, risk_levels_daily

ON = date(2021, 11, 15)  # 4800: 7 days, 09/11 … 15/11
ON_2686 = date(2021, 8, 20)  # 2686: 14 days, 07/08 … 20/08


@pytest.fixture
def tg(units):
    AdminUnit.objects.filter(path__startswith=units.province.path + "/", level=3).update(population=10_000)
    return units


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def case(name, commune, by, *, when, origin="community"):
    person = Person.objects.create(full_name=name, commune=commune)
    return cases.case_confirm(person=person, onset_date=None, sample_date=when.date(), origin=origin,
                              confirmed_at=when, by=by)


def test_only_community_cases_by_residence_in_the_window(tg, staff):
    epi = staff.epidemiologist
    a, b = tg.commune, tg.other_commune
    case("An", a, epi, when=at(ON))
    case("Bình", a, epi, when=at(ON - timedelta(days=6), 0, 5))  # first day of the window
    case("Cường", a, epi, when=at(ON, 23, 50))  # last minutes of the day, local time
    case("Dung", a, epi, when=at(ON - timedelta(days=2)), origin="in_quarantine")  # not a community case
    case("Em", a, epi, when=at(ON - timedelta(days=7), 23, 55))  # the day before the window
    case("Giang", a, epi, when=at(ON + timedelta(days=1), 0, 5))  # the day after
    linked = case("Hà", b, epi, when=at(ON - timedelta(days=1)))  # lives in b, caught at a's market
    market = cases.cluster_create(name="Chợ", kind="supermarket", commune=a, source_description="",
                                  opened_on=ON - timedelta(days=10), by=epi)
    cases.cluster_add_cases(cluster=market, codes=[linked.code], by=epi)
    cases.cluster_create(name="Nhà", kind="household", commune=b, source_description="",
                         opened_on=ON - timedelta(days=30), by=epi)
    closed = cases.cluster_create(name="Cũ", kind="school", commune=b, source_description="",
                                  opened_on=ON - timedelta(days=40), by=epi)
    cases.cluster_close(cluster=closed, closed_on=ON - timedelta(days=7), reason="hết ca", by=epi)

    inputs, totals = risk_inputs_gather(on=ON, days=7)
    assert (inputs[a.pk].cases, inputs[a.pk].untraceable) == (3, 3)
    assert dict(inputs[a.pk].clusters) == {"supermarket": 1}
    assert (inputs[b.pk].cases, inputs[b.pk].untraceable) == (1, 0)
    assert dict(inputs[b.pk].clusters) == {"household": 1}  # the school closed before the window
    assert totals == {"community_cases": 4, "clusters_without_commune": 0}

    for kind, value in (("vax_adults_1dose", 80), ("vax_elderly_full", 90), ("capacity_met", 1)):
        risk_input_record(unit=tg.province, kind=kind, value=value, as_of=ON, by=epi)
    summary = risk_levels_compute(on=ON, by=epi)
    assert summary.totals["community_cases"] == 4 and summary.not_assessed == 0
    commune = RiskAssessment.objects.get(unit=a, on=ON)
    assert commune.inputs["cases"] == 3 and commune.level == 2  # 30 per 100,000, met → 2
    other = RiskAssessment.objects.get(unit=b, on=ON)
    assert other.inputs["cases"] == 1 and other.level == 1
    quiet = RiskAssessment.objects.get(unit=tg.commune2, on=ON)
    assert quiet.inputs["cases"] == 0 and quiet.missing == [] and quiet.level == 1
    assert RiskAssessment.objects.filter(on=ON).count() == summary.units


def test_2686_from_clusters(tg, staff):
    epi = staff.epidemiologist
    a, b = tg.commune, tg.other_commune
    school = cases.cluster_create(name="Trường", kind="school", commune=a, source_description="",
                                  opened_on=ON_2686 - timedelta(days=3), by=epi)
    pupil = case("Khoa", a, epi, when=at(ON_2686 - timedelta(days=2)))
    cases.cluster_add_cases(cluster=school, codes=[pupil.code], by=epi)
    family = cases.cluster_create(name="Nhà", kind="household", commune=b, source_description="",
                                  opened_on=ON_2686 - timedelta(days=5), by=epi)
    cases.cluster_add_cases(cluster=family, codes=[case("Lan", b, epi, when=at(ON_2686 - timedelta(days=13))).code],
                            by=epi)
    stray = tg.other_district.children.exclude(pk=b.pk).order_by("-code").first()
    case("Minh", stray, epi, when=at(ON_2686))

    summary = risk_levels_compute(on=ON_2686, by=epi)
    level = {u: RiskAssessment.objects.get(unit=u, on=ON_2686).level for u in (a, b, stray, tg.province)}
    assert level[a] == 4  # a school cluster
    assert level[b] == 2  # a case of known source, 13 days ago (window of 14)
    assert level[stray] == 3  # a case linked to no cluster
    assert summary.levels[4] >= 1 and level[tg.province] == 2  # one commune at 4 beneath it
    assert set(policy_in_force("risk", ON_2686).rules["very_high_cluster_kinds"]) == set(HIGH_RISK_KINDS)


def test_daily_job_and_command(tg, staff):
    assert "workflows.risk_levels" in {job.name for job in registered_jobs()}
    text = risk_levels_daily()
    yesterday = timezone.localdate() - timedelta(days=1)
    assert text.startswith(f"{yesterday}: ") and RiskAssessment.objects.filter(on=yesterday).exists()

    out = StringIO()
    call_command("risk_compute", "--date", "20/08/2021", "--days", "2", stdout=out)
    assert out.getvalue().count("units under 2686") == 2
    assert RiskAssessment.objects.filter(on=ON_2686 - timedelta(days=1)).exists()
    out = StringIO()
    call_command("risk_compute", "--date", "2021-11-15", "--unit", tg.district.code, "--dry-run", stdout=out)
    assert "(not saved)" in out.getvalue() and not RiskAssessment.objects.filter(on=ON).exists()


def test_a_district_user_computes_their_district(tg, staff, make_user):
    from lachan.accounts.roles import Role

    case("An", tg.commune, staff.epidemiologist, when=at(ON_2686))
    case("Bình", tg.other_commune, staff.epidemiologist, when=at(ON_2686))
    district_epi = make_user(Role.EPIDEMIOLOGIST, unit=tg.district)
    summary = risk_levels_compute(on=ON_2686, by=district_epi)
    assert summary.units == tg.district.children.count() + 1 == RiskAssessment.objects.count()
    assert summary.totals["cases_elsewhere"] == 1 and summary.ignored_inputs == 0
    assert RiskAssessment.objects.get(unit=tg.commune).level == 3  # linked to no cluster
    with pytest.raises(PermissionDenied):
        risk_levels_compute(on=ON_2686, by=staff.district)  # may only view
