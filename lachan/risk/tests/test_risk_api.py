"""Risk levels API (/api/risk): a day's levels and a unit's history within the caller's jurisdiction, overrides
with their reason, entered figures — with the services' errors (never a 500)."""

from datetime import date

import pytest

from lachan.risk.levels import levels_compute
from lachan.risk.models import RiskAssessment
from lachan.risk.tests.test_risk_services import ON, row, tg, vaccinated, zero  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
API = "/api/risk"


def test_levels_history_override_and_inputs(client, token_for, tg, staff):  # noqa: F811 (fixture)
    epi, district = staff.epidemiologist, staff.district
    vaccinated(tg, epi)
    levels_compute(on=ON, inputs=zero(tg), by=epi, tree="2021")
    as_epi, as_district, as_station = token_for(epi), token_for(district), token_for(staff.commune)

    everything = client.get(f"{API}/levels", {"on": ON.isoformat()}, **as_epi).json()
    assert len(everything) == RiskAssessment.objects.filter(on=ON).count() > 10
    commune = next(r for r in everything if r["unit_code"] == tg.commune.code)
    assert (commune["level"], commune["computed_level"], commune["overridden"]) == (1, 1, False)
    assert commune["reasons"] and all(isinstance(text, str) and text for text in commune["reasons"])
    latest = client.get(f"{API}/levels", **as_epi).json()  # no day: the last one assessed
    assert len(latest) == len(everything)
    mine = client.get(f"{API}/levels", {"on": ON.isoformat(), "admin_level": 3}, **as_district).json()
    assert mine and all(r["unit_level"] == 3 for r in mine) and tg.other_commune.code not in {
        r["unit_code"] for r in mine}
    station = client.get(f"{API}/levels", **as_station).json()  # a commune station reads its own commune only
    assert [r["unit_code"] for r in station] == [tg.commune.code]
    assert client.get(f"{API}/levels", {"within": "nope"}, **as_epi).status_code == 404

    history = client.get(f"{API}/units/{tg.commune.code}/history", **as_district).json()
    assert [h["on"] for h in history] == [ON.isoformat()]
    assert client.get(f"{API}/units/{tg.other_commune.code}/history", **as_district).status_code == 404

    target = row(tg.commune)
    refused = client.post(f"{API}/assessments/{target.pk}/override", {"level": 3, "reason": " "},
                          content_type="application/json", **as_epi)
    assert refused.status_code == 400 and refused.json()["code"] == "risk_reason_required"
    assert client.post(f"{API}/assessments/{target.pk}/override", {"level": 7, "reason": "x"},
                       content_type="application/json", **as_epi).status_code == 400
    done = client.post(f"{API}/assessments/{target.pk}/override",
                       {"level": 3, "reason": "Ổ dịch chợ đầu mối chưa rõ nguồn"},
                       content_type="application/json", **as_epi)
    assert done.status_code == 200, done.json()
    assert (done.json()["level"], done.json()["computed_level"], done.json()["overridden"]) == (3, 1, True)
    assert client.post(f"{API}/assessments/{target.pk}/override", {"level": 2, "reason": "x"},
                       content_type="application/json", **as_district).status_code == 403  # view only
    cleared = client.post(f"{API}/assessments/{target.pk}/override/clear", {"reason": "Đã kiểm soát"},
                          content_type="application/json", **as_epi).json()
    assert (cleared["level"], cleared["overridden"]) == (1, False)
    assert client.post(f"{API}/assessments/999999999/override", {"level": 2, "reason": "x"},
                       content_type="application/json", **as_epi).status_code == 404

    entered = client.post(f"{API}/inputs", {"unit": tg.commune.code, "kind": "vax_adults_1dose", "value": 91.5,
                                            "as_of": date(2021, 11, 10).isoformat(), "note": "CDC"},
                          content_type="application/json", **as_epi)
    assert entered.status_code == 201 and entered.json()["value"] == 91.5
    assert client.post(f"{API}/inputs", {"unit": tg.commune.code, "kind": "vax_adults_1dose", "value": 140,
                                         "as_of": "2021-11-10"}, content_type="application/json",
                       **as_epi).status_code == 400
    assert client.post(f"{API}/inputs", {"unit": tg.commune.code, "kind": "nonsense", "value": 1,
                                         "as_of": "2021-11-10"}, content_type="application/json",
                       **as_epi).status_code == 400
    listed = client.get(f"{API}/units/{tg.commune.code}/inputs", **as_epi).json()
    assert [(i["kind"], i["value"]) for i in listed] == [("vax_adults_1dose", 91.5)]
