"""The risk-level pages: the levels of a day (counts, filters, Excel), a unit's page (history, overrides, entered
figures) and the policy versions — within each role's jurisdiction, bad input said on the page, never a 500."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lachan.accounts.models import AuditEvent
from lachan.risk.levels import UnitInputs, level_override, levels_compute
from lachan.risk.models import RiskAssessment, RiskInput
from lachan.risk.tests.test_risk_services import ON, row, tg, vaccinated, zero  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(tg, staff):  # noqa: F811 (fixture)
    """ON computed for the province: one commune with 5 cases (50 per 100,000 → level 3), the others at 1."""
    epi = staff.epidemiologist
    vaccinated(tg, epi)
    levels_compute(on=ON - timedelta(days=1), inputs=zero(tg), by=epi, tree="2021")
    inputs = zero(tg)
    inputs[tg.commune.pk] = UnitInputs(cases=5, untraceable=0)
    levels_compute(on=ON, inputs=inputs, by=epi, tree="2021")
    return ON


def test_levels_page_counts_filters_and_links(client, staff, tg, day):  # noqa: F811
    client.force_login(staff.epidemiologist)
    page = client.get("/risk/")
    assert page.status_code == 200
    text = page.content.decode()
    total = RiskAssessment.objects.filter(on=ON).count()
    counts = page.context["counts"]
    assert sum(counts.values()) == total and counts[3] >= 1 and counts[0] == 0
    assert page.context["f"]["on"] == ON  # the last day assessed
    assert 'href="/map/"' in text and "risk-level-3" in text and "/static/risk/risk.css" in text
    assert f'href="/risk/units/{tg.commune.code}/"' in text or page.context["page"].has_next
    assert 'data-testid="compute-form"' in text  # the epidemiologist may compute

    communes = client.get("/risk/", {"admin_level": 3, "level": 3}).context
    assert [r["unit"].code for r in communes["page"].rows] == [tg.commune.code]
    assert communes["page"].rows[0]["cases"] == 5 and communes["page"].rows[0]["rate"] == 50
    within = client.get("/risk/", {"within": tg.district.code}).context
    assert {r["unit"].code for r in within["page"].rows} >= {tg.district.code, tg.commune.code}
    assert tg.other_commune.code not in {r["unit"].code for r in within["page"].rows}
    named = client.get("/risk/", {"q": tg.commune.name.lower()}).context  # with or without diacritics
    assert tg.commune.code in {r["unit"].code for r in named["page"].rows}
    from lachan.core.text import fold
    folded = client.get("/risk/", {"q": fold(tg.commune.name)}).context
    assert tg.commune.code in {r["unit"].code for r in folded["page"].rows}
    earlier = client.get("/risk/", {"on": (ON - timedelta(days=1)).isoformat(), "level": 3}).context
    assert earlier["page"].rows == []

    # Pages of 50: the province has more units than that.
    second = client.get("/risk/", {"page": 2}).context["page"]
    assert second.number == 2 and second.rows

    # Bad filters are said and left out; never a 500.
    future = client.get("/risk/", {"on": (timezone.localdate() + timedelta(days=3)).isoformat()})
    assert future.status_code == 200 and future.context["f"]["on"] == ON
    assert "is in the future" in future.content.decode()
    unknown = client.get("/risk/", {"within": "99999", "on": "not-a-day", "level": "9"})
    assert unknown.status_code == 200
    errors = unknown.context["form"].errors
    assert "No unit with code 99999" in str(errors["within"]) and "on" in errors and "level" in errors


def test_levels_export(client, staff, tg, day):  # noqa: F811
    client.force_login(staff.district)
    response = client.get("/risk/export.xlsx", {"admin_level": 3})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    codes = {r[1] for r in rows[1:]}
    assert tg.commune.code in codes and tg.other_commune.code not in codes  # the district's only
    mine = next(r for r in rows[1:] if r[1] == tg.commune.code)
    assert mine[4] == 3 and mine[8] == 5 and "per 100,000" in mine[-1]


def test_jurisdictions(client, staff, tg, day, make_user):  # noqa: F811
    from lachan.accounts.roles import Role

    client.force_login(staff.district)
    listed = client.get("/risk/", {"admin_level": 3}).context["page"].rows
    assert listed and all(r["unit"].path.startswith(tg.district.path + "/") for r in listed)
    assert 'data-testid="compute-form"' not in client.get("/risk/").content.decode()  # view only
    assert client.get(f"/risk/units/{tg.commune.code}/").status_code == 200
    outside = client.get(f"/risk/units/{tg.other_commune.code}/")
    assert outside.status_code == 404 and "No unit with code" in outside.content.decode()
    assert client.post(f"/risk/units/{tg.commune.code}/override/", {}).status_code == 403
    lab = make_user(Role.LAB_STAFF)
    client.force_login(lab)
    assert client.get("/risk/").status_code == 403


def test_unit_page_override_and_clear(client, staff, tg, day):  # noqa: F811
    client.force_login(staff.epidemiologist)
    url = f"/risk/units/{tg.commune.code}/"
    page = client.get(url)
    assert page.status_code == 200
    assert [r["a"].on for r in page.context["rows"]] == [ON, ON - timedelta(days=1)]
    assert len(page.context["strip"]) == 60
    latest = row(tg.commune)
    assert any("per 100,000 per week" in text for text in page.context["rows"][0]["reasons"])

    # No reason, a level 5, another unit's assessment: refused, said, nothing changes.
    events = AuditEvent.objects.filter(action="risk.override").count()
    refused = client.post(f"{url}override/", {"assessment": latest.pk, "level": "4", "reason": "  "})
    assert refused.status_code == 400 and "Give the reason for the override." in refused.content.decode()
    five = client.post(f"{url}override/", {"assessment": latest.pk, "level": "5", "reason": "x"})
    assert five.status_code == 400 and "The level must be 1, 2, 3 or 4." in five.content.decode()
    other = row(tg.other_commune)
    assert client.post(f"{url}override/", {"assessment": other.pk, "level": "4", "reason": "x"}).status_code == 400
    latest.refresh_from_db()
    assert (latest.level, latest.overridden) == (3, False)
    assert AuditEvent.objects.filter(action="risk.override").count() == events

    done = client.post(f"{url}override/", {"assessment": latest.pk, "level": "4", "reason": "Ổ dịch chợ đầu mối"})
    assert done.status_code == 302
    latest.refresh_from_db()
    assert (latest.level, latest.computed_level, latest.overridden, latest.override_by) == (
        4, 3, True, staff.epidemiologist)
    shown = client.get(url).content.decode()
    assert "Ổ dịch chợ đầu mối" in shown and 'data-testid="override-info"' in shown and "clear-form" in shown

    assert client.post(f"{url}override/clear/", {"assessment": latest.pk, "reason": ""}).status_code == 400
    assert row(tg.commune).overridden
    cleared = client.post(f"{url}override/clear/", {"assessment": latest.pk, "reason": "Đã khoanh vùng"})
    assert cleared.status_code == 302
    assert (row(tg.commune).level, row(tg.commune).overridden) == (3, False)
    assert client.get("/risk/units/nope/").status_code == 404


def test_unit_page_inputs(client, staff, tg, day):  # noqa: F811
    client.force_login(staff.epidemiologist)
    url = f"/risk/units/{tg.commune.code}/inputs/"
    today = timezone.localdate()
    before = RiskInput.objects.count()
    for value, message in (("140", "Coverage is a percentage from 0 to 100."), ("abc", "Coverage is a percentage")):
        bad = client.post(url, {"kind": "vax_adults_1dose", "value": value, "as_of": today.isoformat()})
        assert bad.status_code == 400 and message in bad.content.decode()
    future = client.post(url, {"kind": "vax_adults_1dose", "value": "80",
                               "as_of": (today + timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "The date is in the future." in future.content.decode()
    capacity = client.post(url, {"kind": "capacity_met", "value": "2", "as_of": today.isoformat()})
    assert capacity.status_code == 400 and "Capacity is met (1) or not met (0)." in capacity.content.decode()
    assert RiskInput.objects.count() == before
    ok = client.post(url, {"kind": "vax_adults_1dose", "value": "82,5", "as_of": today.isoformat(), "note": "CDC"})
    assert ok.status_code == 302
    page = client.get(f"/risk/units/{tg.commune.code}/")
    assert [(i.kind, i.value, i.note) for i in page.context["inputs"]] == [("vax_adults_1dose", 82.5, "CDC")]


def test_policies_page_shows_every_version_readably(client, staff, day):
    client.force_login(staff.district)
    page = client.get("/risk/policies/")
    assert page.status_code == 200
    text = page.content.decode()
    versions = page.context["versions"]
    assert [p.rules["method"] for p in versions][:3] == ["matrix_218", "matrix_4800", "clusters_2686"]
    matrix = next(p for p in versions if p.rules["method"] == "matrix_4800").described
    assert [(b["label"], b["met"], b["not_met"]) for b in matrix["bands"]] == [
        ("0–<20", 1, 2), ("20–<50", 2, 3), ("50–<150", 3, 4), ("≥ 150", 3, 4)]
    clusters = next(p for p in versions if p.rules["method"] == "clusters_2686").described
    assert "school" in clusters["cluster_kinds"] and clusters["upward"] == "shares"
    assert "4800/QĐ-BYT" in text and 'data-testid="cluster-rules"' in text and 'data-testid="upward-rules"' in text
    assert 'data-testid="trial-link"' not in text  # the district only reads


def test_english_and_vietnamese_pages_render(client, staff, tg, day, settings):  # noqa: F811
    from django.utils import translation

    client.force_login(staff.epidemiologist)
    for language in ("vi", "en"):
        with translation.override(language):
            for url in ("/risk/", f"/risk/units/{tg.commune.code}/", "/risk/policies/", "/risk/policies/trial/"):
                assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code == 200, url


def test_override_of_an_earlier_day_and_the_strip(client, staff, tg, day):  # noqa: F811
    earlier = row(tg.commune, ON - timedelta(days=1))
    level_override(assessment=earlier, level=2, reason="Diễn tập", by=staff.epidemiologist)
    client.force_login(staff.epidemiologist)
    page = client.get(f"/risk/units/{tg.commune.code}/")
    strip = page.context["strip"]
    assert strip[-1][0] == ON and [a.on for _day, a in strip if a is not None] == [ON - timedelta(days=1), ON]
    assert strip[-2][1].overridden and not strip[-1][1].overridden
    assert [label for _pk, label in page.context["clear_form"].fields["assessment"].choices][0].startswith(
        (ON - timedelta(days=1)).strftime("%d/%m/%Y"))
