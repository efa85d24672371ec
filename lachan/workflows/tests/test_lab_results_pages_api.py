"""Result pages and API: one result (enter, release, correct), a file (summary or row errors with the
report, 409 for the same file), imports history, layouts, the re-tests due per commune — within each role's
reach."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from lachan.accounts.roles import Role
from lachan.cases.models import Case
from lachan.labs.models import (
    ColumnMapping,
    ImportStatus,
    ResultImport,
    Sample,
    SampleStatus,
    Swab,
    SwabOutcome,
)
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db

HEAD = ["Mã mẫu", "Kết quả", "Ct"]


def body(response) -> str:
    return response.content.decode()


def upload(rows, name="kq.csv"):
    return SimpleUploadedFile(name, csv_bytes([HEAD, *rows]), content_type="text/csv")


# ---- API ------------------------------------------------------------------------------------------------------

def test_api_one_result(client, lab_world, token_for):
    w = lab_world
    w.make_sample("S-AN", [w.an], lab=w.lab)
    w.make_sample("S-1", [w.people[1]], lab=w.lab)
    headers = token_for(w.lab_user)
    url = "/api/labs/results"
    response = client.post(url, {"code": "s-an", "result": "positive", "ct_value": 17.5}, content_type="application/json",
                           **headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "released" and data["outcomes"] == {"positive": 1} and data["notified"] == 1
    assert data["cases_confirmed"] == [Case.objects.get(person=w.an).code]
    response = client.post(url, {"code": "S-1", "result": "negative", "ct_value": 50}, content_type="application/json",
                           **headers)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "labs_ct_out_of_range"
    response = client.post(url, {"code": "NOPE", "result": "negative"}, content_type="application/json", **headers)
    assert response.status_code == 404 and response.json()["code"] == "labs_sample_not_found"
    response = client.post(url, {"code": "S-1", "result": "negative", "release": False}, content_type="application/json",
                           **headers)
    assert response.status_code == 201 and response.json()["status"] == "tested"
    response = client.post("/api/labs/results/S-1/release", **headers)
    assert response.status_code == 200 and response.json()["status"] == "released"
    response = client.post("/api/labs/results/S-1/correction", {"result": "positive", "reason": ""},
                           content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "labs_reason_required"
    response = client.post("/api/labs/results/S-1/correction", {"result": "inconclusive", "reason": "Ống vỡ"},
                           content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["outcomes"] == {"inconclusive": 1}
    station = token_for(w.staff.commune)
    assert client.post(url, {"code": "S-1", "result": "negative"}, content_type="application/json",
                       **station).status_code == 403


def test_api_import_summary_errors_and_idempotence(client, lab_world, token_for):
    w = lab_world
    for i in range(3):
        w.make_sample(f"S-{i}", [w.people[i]], lab=w.lab)
    headers = token_for(w.lab_user)
    bad = client.post("/api/labs/results/import", {"file": upload([["S-0", "Âm tính", ""], ["S-9", "Âm tính", ""]])},
                      **headers)
    assert bad.status_code == 422
    data = bad.json()
    assert data["code"] == "labs_import_rows_invalid" and data["error_count"] == 1
    assert data["errors"] == [{"row": 3, "column": "Mã mẫu", "sample_code": "S-9", "message": "Unknown sample code S-9."}]
    report = client.get(f"/api/labs/imports/{data['import_id']}/errors.csv", **headers)
    assert report.status_code == 200 and "S-9" in report.content.decode("utf-8-sig")
    got = client.get(f"/api/labs/imports/{data['import_id']}", **headers).json()
    assert got["status"] == "failed" and got["errors"][0]["sample_code"] == "S-9"
    good = client.post("/api/labs/results/import", {"file": upload([["S-0", "Âm tính", ""], ["S-1", "NEG", ""]])},
                       **headers)
    assert good.status_code == 201, good.content
    summary = good.json()
    assert summary["status"] == "applied" and summary["applied"] == 2 and summary["summary"]["negative"] == 2
    again = client.post("/api/labs/results/import", {"file": upload([["S-0", "Âm tính", ""], ["S-1", "NEG", ""]])},
                        **headers)
    assert again.status_code == 409 and again.json()["params"]["import_id"] == summary["id"]
    listing = client.get("/api/labs/imports", **headers).json()
    assert [i["status"] for i in listing["items"]] == ["applied", "failed"] and listing["items"][1]["errors"] == []
    # Another laboratory's staff do not see these files; a station may not import.
    other = token_for(w.other_lab_user)
    assert client.get(f"/api/labs/imports/{summary['id']}", **other).status_code == 404
    assert client.get("/api/labs/imports", **other).json()["items"] == []
    assert client.post("/api/labs/results/import", {"file": upload([["S-2", "Âm tính", ""]])},
                       **token_for(w.staff.commune)).status_code == 403
    # The province names the laboratory; not with a layout of another laboratory.
    province = token_for(w.staff.province)
    response = client.post("/api/labs/results/import", {"file": upload([["S-2", "Âm tính", ""]])}, **province)
    assert response.status_code == 404 and response.json()["field"] == "laboratory"
    mapping = ColumnMapping.objects.create(laboratory=w.other_lab, name="x", columns={"code": "Mã mẫu", "result": "Kết quả"})
    response = client.post("/api/labs/results/import", {"file": upload([["S-2", "Âm tính", ""]]),
                                                        "laboratory": str(w.lab.pk), "mapping": str(mapping.pk)},
                           **province)
    assert response.status_code == 404 and response.json()["field"] == "mapping"
    response = client.post("/api/labs/results/import", {"file": upload([["S-2", "Âm tính", ""]]),
                                                        "laboratory": str(w.lab.pk), "release": "false"}, **province)
    assert response.status_code == 201 and response.json()["released"] is False
    released = client.post(f"/api/labs/imports/{response.json()['id']}/release", **province)
    assert released.status_code == 200 and released.json()["released"] is True


def test_api_mappings(client, lab_world, token_for):
    w = lab_world
    headers = token_for(w.lab_user)
    payload = {"name": "Máy A", "columns": {"code": "Số ống", "result": "KQ"}, "result_words": {"Có": "positive"}}
    response = client.post("/api/labs/mappings", payload, content_type="application/json", **headers)
    assert response.status_code == 201 and response.json()["result_words"] == {"co": "positive"}
    mapping_id = response.json()["id"]
    response = client.put(f"/api/labs/mappings/{mapping_id}", {**payload, "columns": {"code": "Số ống"}},
                          content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "result"
    assert [m["name"] for m in client.get("/api/labs/mappings", **headers).json()] == ["Máy A"]
    assert client.get("/api/labs/mappings", **token_for(w.other_lab_user)).json() == []


def test_api_retests_scoped(client, lab_world, token_for, make_user):
    w = lab_world
    pool = w.make_sample("P-1", w.people[3:9], lab=w.lab, campaign=w.campaign)
    response = client.post("/api/labs/results", {"code": "P-1", "result": "positive"}, content_type="application/json",
                           **token_for(w.lab_user))
    assert response.status_code == 201, response.content
    station = token_for(w.staff.commune)
    data = client.get("/api/labs/retests", **station).json()
    assert {i["full_name"] for i in data["items"]} == {p.full_name for p in w.people[3:6]}
    assert data["items"][0]["outcome"] == "retest" and data["items"][0]["sample_code"] == "P-1"
    district = token_for(w.staff.district)
    assert len(client.get("/api/labs/retests", **district).json()["items"]) == 6
    only2 = client.get("/api/labs/retests", {"commune": w.units.commune2.code}, **district).json()
    assert {i["commune_code"] for i in only2["items"]} == {w.units.commune2.code}
    assert client.get("/api/labs/retests", {"commune": "00000"}, **district).json()["items"] == []
    assert client.get("/api/labs/retests", **token_for(w.staff.other_commune)).json()["items"] == []
    swab = pool.swabs.get(person=w.people[3])
    response = client.post(f"/api/labs/retests/{swab.pk}/sample", {"code": "RT-0001"}, content_type="application/json",
                           **station)
    assert response.status_code == 201 and response.json()["retest_of"] == "P-1"
    other = pool.swabs.get(person=w.people[7])
    response = client.post(f"/api/labs/retests/{other.pk}/sample", {"code": "RT-0002"}, content_type="application/json",
                           **station)
    assert response.status_code == 404  # a person of another commune
    assert len(client.get("/api/labs/retests", **station).json()["items"]) == 2


# ---- pages ----------------------------------------------------------------------------------------------------

def test_import_page_errors_report_then_summary(client, lab_world):
    w = lab_world
    for i in range(3):
        w.make_sample(f"S-{i}", [w.people[i]], lab=w.lab)
    client.force_login(w.lab_user)
    page = body(client.get(reverse("labresults:import")))
    assert 'data-testid="import-form"' in page and 'name="laboratory"' in page  # hidden: the lab's own
    response = client.post(reverse("labresults:import"), {
        "file": upload([["S-0", "Âm tính", ""], ["S-1", "Dương tính", "99"], ["S-7", "Âm tính", ""]]),
        "laboratory": str(w.lab.pk), "release": "on"})
    page = body(response)
    assert response.status_code == 200 and "Nothing was imported: 2 errors." in page
    assert "The Ct value must be between 0 and 45." in page and "Unknown sample code S-7." in page
    record = ResultImport.objects.get()
    report = client.get(reverse("labresults:import_errors", args=[record.pk]))
    assert report["Content-Type"].startswith("text/csv") and "kq-errors.csv" in report["Content-Disposition"]
    assert report.content.decode("utf-8-sig").splitlines()[1] == "3,Ct,S-1,The Ct value must be between 0 and 45."
    record.filename = "Kết quả.xlsx"  # a Vietnamese file name reaches the browser whole (RFC 6266)
    record.save(update_fields=["filename"])
    named = client.get(reverse("labresults:import_errors", args=[record.pk]))
    assert "filename*=utf-8''K%E1%BA%BFt%20qu%E1%BA%A3-errors.csv" in named["Content-Disposition"]
    response = client.post(reverse("labresults:import"), {
        "file": upload([["S-0", "Âm tính", ""], ["S-1", "Dương tính", "29"], ["S-2", "Âm tính", ""]]),
        "laboratory": str(w.lab.pk), "release": "on"})
    record = ResultImport.objects.get(status=ImportStatus.APPLIED)
    assert response.status_code == 302 and response["Location"] == reverse("labresults:import_detail", args=[record.pk])
    page = body(client.get(response["Location"]))
    assert 'data-testid="import-summary"' in page and "cases confirmed" in page
    assert Case.objects.filter(person=w.people[1]).exists()
    again = body(client.post(reverse("labresults:import"), {
        "file": upload([["S-0", "Âm tính", ""], ["S-1", "Dương tính", "29"], ["S-2", "Âm tính", ""]]),
        "laboratory": str(w.lab.pk)}))
    assert "already imported on" in again and 'data-testid="earlier-import"' in again
    history = body(client.get(reverse("labresults:imports"), {"status": "failed"}))
    assert history.count('data-testid="import-row"') == 1
    client.force_login(w.other_lab_user)
    assert client.get(reverse("labresults:import_detail", args=[record.pk])).status_code == 404
    client.force_login(w.staff.commune)
    assert client.get(reverse("labresults:import")).status_code == 403


def test_import_page_as_tested_then_release(client, lab_world):
    w = lab_world
    w.make_sample("S-0", [w.people[0]], lab=w.lab)
    client.force_login(w.lab_user)
    response = client.post(reverse("labresults:import"), {"file": upload([["S-0", "Âm tính", ""]]),
                                                           "laboratory": str(w.lab.pk)})
    record = ResultImport.objects.get()
    assert response.status_code == 302 and not record.released
    assert 'data-testid="release-import"' in body(client.get(response["Location"]))
    client.post(reverse("labresults:import_release", args=[record.pk]))
    assert Sample.objects.get(code="S-0").status == SampleStatus.RELEASED and Message.objects.count() == 1


def test_sample_result_page_enter_release_correct(client, lab_world):
    w = lab_world
    sample = w.make_sample("P-1", w.people[:3], lab=w.lab)
    client.force_login(w.lab_user)
    response = client.get(reverse("labresults:find"), {"code": "p-1"})
    url = reverse("labresults:sample_result", args=[sample.pk])
    assert response["Location"] == url
    client.get(url)  # the page names the people of the tube: each read is in the trail
    from lachan.accounts.models import AuditEvent

    read = AuditEvent.objects.filter(action="labs.result_people", actor=w.lab_user, detail__sample="P-1")
    assert set(read.values_list("person_id", flat=True)) == {p.pk for p in w.people[:3]}
    assert client.get(reverse("labresults:find"), {"code": "NOPE"})["Location"] == reverse("labresults:import")
    page = body(client.post(url, {"action": "enter", "result": "positive", "ct_value": "abc"}))
    assert "Enter a number" in page
    page = body(client.post(url, {"action": "enter", "result": "positive", "ct_value": "60"}))
    assert "between 0 and 45" in page and Sample.objects.get(pk=sample.pk).status == SampleStatus.COLLECTED
    page = body(client.post(url, {"action": "enter", "result": "positive", "ct_value": "31,5",
                                  "tested_at": "2099-01-01T10:00"}))
    assert "in the future" in page
    client.post(url, {"action": "enter", "result": "positive", "ct_value": "31,5"})  # release unticked
    sample.refresh_from_db()
    assert sample.status == SampleStatus.TESTED and sample.ct_value == 31.5
    assert 'data-testid="release-form"' in body(client.get(url))
    client.post(url, {"action": "release"})
    sample.refresh_from_db()
    assert sample.status == SampleStatus.RELEASED
    assert set(Swab.objects.filter(sample=sample).values_list("outcome", flat=True)) == {SwabOutcome.RETEST}
    page = body(client.get(url))
    assert 'data-testid="correction-form"' in page and 'data-testid="result-form"' not in page
    page = body(client.post(url, {"action": "correct", "result": "negative", "reason": ""}))
    assert "This field is required" in page
    response = client.post(url, {"action": "correct", "result": "negative", "reason": "Nhầm giếng"}, follow=True)
    page = body(response)
    assert "Result corrected: 3 people told." in page and "Nhầm giếng" in page
    client.force_login(w.other_lab_user)
    assert client.get(url).status_code == 404


def test_mapping_pages(client, lab_world):
    w = lab_world
    client.force_login(w.lab_user)
    new = reverse("labresults:mapping_new")
    assert 'data-testid="example-form"' in body(client.get(new))
    example = SimpleUploadedFile("mau.csv", csv_bytes([["Bệnh viện"], ["Số ống", "KQ cuối", "Giờ"],
                                                      ["A-1", "Âm tính", "1/12/2021"], ["A-2", "Có virus", ""]]))
    page = body(client.post(new, {"step": "upload", "file": example}))
    assert 'data-testid="mapping-form"' in page and "Có virus" in page and 'value="2"' in page
    data = {"step": "save", "name": "BV tỉnh", "header_row": "2", "column_code": "Số ống", "column_result": "KQ cuối",
            "column_ct": "", "column_tested_at": "Giờ", "date_format": "%d/%m/%Y",
            "word": ["Âm tính", "Có virus", ""], "word_result": ["negative", "positive", ""],
            "example": '{"headings": ["Số ống", "KQ cuối", "Giờ"], "rows": [], "header_row": 2}'}
    page = body(client.post(new, {**data, "column_result": ""}))
    assert "Choose the column of the result." in page
    response = client.post(new, data)
    assert response.status_code == 302
    mapping = ColumnMapping.objects.get()
    assert mapping.laboratory == w.lab and mapping.columns == {"code": "Số ống", "result": "KQ cuối", "tested_at": "Giờ"}
    assert mapping.result_words == {"am tinh": "negative", "co virus": "positive"} and mapping.header_row == 2
    assert "BV tỉnh" in body(client.get(reverse("labresults:mapping_list")))
    edit = reverse("labresults:mapping_edit", args=[mapping.pk])
    page = body(client.get(edit))
    assert 'value="Số ống"' in page and 'value="co virus"' in page
    client.post(edit, {**data, "example": "not json", "name": "BV tỉnh 2"})
    mapping.refresh_from_db()
    assert mapping.name == "BV tỉnh 2"
    client.force_login(w.other_lab_user)
    assert client.get(edit).status_code == 404


def test_retest_pages(client, lab_world, make_user):
    w = lab_world
    pool = w.make_sample("POOL-0001", w.people[3:9], lab=w.lab, campaign=w.campaign)
    from lachan.workflows.lab_results import lab_result_enter

    lab_result_enter(sample=pool, result="positive", by=w.lab_user)
    client.force_login(w.staff.commune)
    page = body(client.get(reverse("labresults:retests")))
    assert page.count('data-testid="retest-row"') == 3 and w.people[3].full_name in page
    export = client.get(reverse("labresults:retests_export"))
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [p.full_name for p in w.people[3:6]]
    swab = pool.swabs.get(person=w.people[3])
    register = reverse("labresults:retest_register", args=[swab.pk])
    page = body(client.post(register, {"code": "POOL-0001"}))
    assert "already used" in page
    response = client.post(register, {"code": "", "generate_code": "on"})
    assert response.status_code == 302
    assert body(client.get(reverse("labresults:retests"))).count('data-testid="retest-row"') == 2
    retest = Swab.objects.get(retest_of=swab)
    assert retest.sample.code.startswith("82-") and not retest.sample.pooled
    district = make_user(Role.DISTRICT_OFFICER, unit=w.units.district)
    client.force_login(district)
    page = body(client.get(reverse("labresults:retests"), {"commune": str(w.units.commune2.pk)}))
    assert page.count('data-testid="retest-row"') == 3
    client.force_login(w.staff.other_commune)
    assert 'data-testid="no-retests"' in body(client.get(reverse("labresults:retests")))
    assert client.get(register).status_code == 404
