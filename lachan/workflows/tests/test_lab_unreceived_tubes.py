"""A laboratory sees and acts only on tubes received by, or sent to, it (issue 12, item 1). Tube codes are
sequential: a tube sent to no laboratory yet is not "anyone's" — lab staff receive it first (scanning it
makes it theirs), and until then neither the result page, the result API, a result file, the queue, the
dashboard, the labels nor the sample page name the people in it or let the lab release a result for it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lachan.cases.models import Case
from lachan.core.errors import NotFound, ValidationFailed
from lachan.labs import dashboard, results
from lachan.labs.models import ResultImport, Sample, SampleStatus
from lachan.labs.results.selectors import result_sample_get
from lachan.labs.sampling import selectors, services
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db


def error_codes(exc) -> set[str]:
    return {e.code for e in exc.errors}


@pytest.fixture
def stray(lab_world):
    """A tube collected somewhere in the province, sent to no laboratory yet, and a tube of this lab."""
    w = lab_world
    w.stray = w.make_sample("S-STRAY", [w.an, w.wife])
    w.own = w.make_sample("S-OWN", [w.people[1]], lab=w.lab)
    return w


def test_services_refuse_an_unreceived_tube(stray):
    w = stray
    with pytest.raises(NotFound):
        result_sample_get(user=w.lab_user, code="S-STRAY")
    with pytest.raises(NotFound):
        result_sample_get(user=w.lab_user, sample_id=w.stray.pk)
    with pytest.raises(ValidationFailed) as err:  # the service re-checks, whatever found the sample
        results.result_enter(sample=w.stray, result="positive", by=w.lab_user)
    assert error_codes(err.value) == {"labs_not_received"}
    Sample.objects.filter(pk=w.stray.pk).update(status=SampleStatus.TESTED, result="positive")
    with pytest.raises(ValidationFailed) as err:
        results.result_release(sample=w.stray, by=w.lab_user)
    assert error_codes(err.value) == {"labs_not_received"}
    w.stray.refresh_from_db()
    assert w.stray.status == SampleStatus.TESTED and w.stray.laboratory_id is None
    assert not Case.objects.filter(person=w.an).exists()


def test_receiving_makes_the_tube_the_laboratorys(stray):
    w = stray
    (received,) = services.samples_receive(codes="S-STRAY", by=w.lab_user)
    assert received.error is None
    sample = result_sample_get(user=w.lab_user, code="S-STRAY")
    entered, _released = results.result_enter(sample=sample, result="negative", by=w.lab_user)
    assert entered.laboratory == w.lab and entered.status == SampleStatus.RELEASED
    with pytest.raises(NotFound):  # and now it is no other laboratory's
        result_sample_get(user=w.other_lab_user, code="S-STRAY")


def test_the_province_still_enters_results_in_its_jurisdiction(stray):
    w = stray
    assert result_sample_get(user=w.staff.province, code="S-STRAY") == w.stray


def test_result_pages_answer_404(client, stray):
    w = stray
    client.force_login(w.lab_user)
    queue = client.get(reverse("labs:queue")).content.decode()
    assert "S-OWN" in queue and "S-STRAY" not in queue
    page = reverse("labresults:sample_result", args=[w.stray.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"action": "enter", "result": "positive", "release": "on"}).status_code == 404
    found = client.get(reverse("labresults:find"), {"code": "S-STRAY"})
    assert found.status_code == 302 and str(w.stray.pk) not in found["Location"]
    assert client.get(reverse("labs:sample_detail", args=[w.stray.pk])).status_code == 404
    assert client.get(reverse("labs:labels"), {"sample": str(w.stray.pk)}).status_code == 404
    w.stray.refresh_from_db()
    assert w.stray.status == SampleStatus.COLLECTED and not Case.objects.exists()


def test_result_api_answers_404(client, stray, token_for):
    w = stray
    headers = token_for(w.lab_user)
    response = client.post("/api/labs/results", {"code": "S-STRAY", "result": "positive"},
                           content_type="application/json", **headers)
    assert response.status_code == 404 and response.json()["code"] == "labs_sample_not_found"
    Sample.objects.filter(pk=w.stray.pk).update(status=SampleStatus.TESTED, result="positive")
    assert client.post("/api/labs/results/S-STRAY/release", **headers).status_code == 404
    assert client.get(f"/api/labs/samples/{w.stray.pk}", **headers).status_code == 404
    queue = client.get("/api/labs/queue", **headers).json()
    assert [s["code"] for s in queue["items"]] == ["S-OWN"]
    assert not Case.objects.exists() and not Message.objects.exists()


def test_a_result_file_row_for_an_unreceived_tube_is_a_row_error(client, stray, token_for):
    w = stray
    rows = [["Mã mẫu", "Kết quả", "Ct"], ["S-OWN", "Âm tính", ""], ["S-STRAY", "Dương tính", "18"]]
    for headers, extra in ((token_for(w.lab_user), {}), (token_for(w.staff.province), {"laboratory": str(w.lab.pk)})):
        upload = SimpleUploadedFile("kq.csv", csv_bytes(rows), content_type="text/csv")
        response = client.post("/api/labs/results/import", {"file": upload, **extra}, **headers)
        assert response.status_code == 422, response.content
        data = response.json()
        assert data["error_count"] == 1
        assert data["errors"][0]["row"] == 3 and data["errors"][0]["sample_code"] == "S-STRAY"
        assert "has not received" in data["errors"][0]["message"]
    assert not ResultImport.objects.filter(status="applied").exists()
    w.stray.refresh_from_db()
    w.own.refresh_from_db()
    assert (w.stray.status, w.stray.laboratory_id, w.own.status) == ("collected", None, "collected")
    assert not Case.objects.exists() and not Message.objects.exists()


def test_queue_and_dashboard_leave_out_unreceived_tubes(stray):
    w = stray
    assert [s.code for s in selectors.lab_queue(user=w.lab_user)] == ["S-OWN"]
    assert selectors.lab_queue_counts(user=w.lab_user) == {"collected": 1, "received": 0}
    assert selectors.samples_by_ids(user=w.lab_user, ids=[w.stray.pk, w.own.pk]) == [w.own]
    board = dashboard.dashboard(user=w.lab_user)
    assert board.waiting_totals["collected"] == 1
