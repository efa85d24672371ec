"""Laboratory results (issue 4): a lab technician imports a result file with errors, reads the row errors,
downloads the report, fixes the file and imports it, then sees the summary; a commune station reads its
re-tests due on a phone."""

import pytest

from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

HEAD = ["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"]


@pytest.fixture(autouse=True)
def _seeded():
    """A transactional test starts from a flushed database: the seeded policies and message templates back."""
    from importlib import import_module

    from django.apps import apps

    for migration in ("lachan.labs.migrations.0003_seed_policy_and_templates",
                      "lachan.labs.migrations.0007_inconclusive_template",
                      "lachan.tracing.migrations.0002_seed_policies_and_templates"):
        import_module(migration).seed(apps, None)


def _file(rows):
    return {"name": "ket-qua-cdc.csv", "mimeType": "text/csv", "buffer": csv_bytes([HEAD, *rows], encoding="cp1258",
                                                                                    delimiter=";")}


def test_import_with_errors_then_fixed(page, phone_page, lab_world):
    from django.utils import timezone

    w = lab_world
    for i in range(4):
        w.make_sample(f"82-211122-{i:06d}", [w.people[i]], lab=w.lab, campaign=w.campaign)
    w.make_sample("82-211122-POOL01", w.people[5:10], lab=w.lab, campaign=w.campaign)
    today = timezone.localdate().strftime("%d/%m/%Y")
    login(page, "labtech")
    page.goto("/labs/")
    page.click("[data-testid=results-link]")
    page.set_input_files("#id_file", _file([
        ["82-211122-000000", "Âm tính", "", today],
        ["82-211122-000001", "Dương tính", "52,1", today],  # Ct out of range
        ["82-211122-000009", "Âm tính", "", today],  # unknown code
        ["82-211122-000002", "Có thể", "", today],  # unknown result
        ["82-211122-POOL01", "Dương tính", "30,2", today],
    ]))
    page.click("[data-testid=import-form] button[type=submit]")
    errors = page.locator("[data-testid=import-errors]")
    errors.wait_for()
    table = page.locator("[data-testid=error-rows] tbody tr")
    assert table.count() == 3
    text = page.locator("[data-testid=error-rows]").inner_text()
    assert "82-211122-000009" in text and "45" in text and "Có thể" in text
    screenshot(page, "labs-import-errors")
    with page.expect_download() as download:
        page.click("[data-testid=errors-csv]")
    report = open(download.value.path(), encoding="utf-8-sig").read()
    lines = report.splitlines()  # headings in the page's language, then one line per error
    assert len(lines) == 4 and lines[0].count(",") == 3
    assert "82-211122-000009" in report and "Có thể" in report

    page.set_input_files("#id_file", _file([
        ["82-211122-000000", "Âm tính", "", today],
        ["82-211122-000001", "Dương tính", "22,1", today],
        ["82-211122-000002", "Âm tính", "", today],
        ["82-211122-POOL01", "Dương tính", "30,2", today],
    ]))
    page.click("[data-testid=import-form] button[type=submit]")
    summary = page.locator("[data-testid=import-summary]")
    summary.wait_for()
    assert "/labs/results/imports/" in page.url
    assert page.locator("[data-testid=import-status]").inner_text().strip()
    cards = summary.inner_text()
    assert "4" in cards and "5" in cards  # four results; five pool members to re-test
    screenshot(page, "labs-import-summary")

    # The commune station's re-tests due, on a phone: the pool's members who live in its commune.
    login(phone_page, "commune")
    phone_page.goto("/labs/retests/")
    rows = phone_page.locator("[data-testid=retest-row]")
    assert rows.count() == 1 and w.people[5].full_name in rows.first.inner_text()
    screenshot(phone_page, "labs-retests-phone")


def test_layout_mapped_from_an_example_and_a_result_by_hand(page, lab_world):
    w = lab_world
    sample = w.make_sample("82-211122-000100", w.people[:3], lab=w.lab, campaign=w.campaign)
    login(page, "labtech")
    page.goto("/labs/results/layouts/new/")
    example = csv_bytes([["BỆNH VIỆN ĐA KHOA TỈNH"], ["STT", "Số hiệu ống", "KQ cuối", "Ct gen E", "Thời điểm"],
                         ["1", "82-211122-000100", "Không phát hiện", "", "22/11/2021"],
                         ["2", "82-211122-000101", "Phát hiện SARS-CoV-2", "24,5", "22/11/2021"]])
    page.set_input_files("#id_file", {"name": "mau.csv", "mimeType": "text/csv", "buffer": example})
    page.click("[data-testid=example-form] button[type=submit]")
    page.locator("[data-testid=mapping-form]").wait_for()
    page.fill("#id_name", "BV Đa khoa tỉnh")
    page.select_option("[data-testid=column-code]", "Số hiệu ống")
    page.select_option("[data-testid=column-result]", "KQ cuối")
    page.select_option("[data-testid=column-ct]", "Ct gen E")
    page.click("button[value=refresh]")
    words = page.locator("[data-testid=words-table] tbody tr")
    assert "Phát hiện SARS-CoV-2" in page.locator("[data-testid=words-table]").inner_html()
    words.nth(1).locator("select").select_option("positive")
    screenshot(page, "labs-mapping-form")
    page.click("button[value=save]")
    page.locator("[data-testid=mappings-table]").wait_for()
    assert "BV Đa khoa tỉnh" in page.locator("[data-testid=mappings-table]").inner_text()

    page.goto("/labs/results/")
    page.fill("[data-testid=find-form] input[name=code]", "82-211122-000100")
    page.click("[data-testid=find-form] button")
    page.locator("[data-testid=result-form]").wait_for()
    page.select_option("#id_result", "negative")
    page.click("[data-testid=result-form] button[type=submit]")
    page.locator("[data-testid=correction-form]").wait_for()
    assert page.locator("[data-testid=swab-row]").count() == 3
    page.select_option("#id_result", "positive")
    page.fill("#id_ct_value", "29,5")
    page.fill("#id_reason", "Nhầm giếng khi đọc máy")
    page.click("[data-testid=correction-form] button[type=submit]")
    page.locator("[data-testid=corrections]").wait_for()
    assert "Nhầm giếng" in page.locator("[data-testid=corrections]").inner_text()
    sample.refresh_from_db()
    assert sample.result == "positive" and sample.ct_value == 29.5
    screenshot(page, "labs-sample-result")


def test_big_file_summary_while_its_people_are_told(page, lab_world, monkeypatch):
    """A file releasing more swabs than are told at once: the summary says the telling goes on in the
    background, and shows the count once the worker has run."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from lachan.labs.results import release
    from lachan.labs.results.release import results_notify_task

    monkeypatch.setattr(release, "NOTIFY_AT_ONCE_MAX", 3)
    w = lab_world
    w.make_sample("82-211122-BIG001", w.people[0:5], lab=w.lab, campaign=w.campaign)
    today = timezone.localdate().strftime("%d/%m/%Y")
    login(page, "labtech")
    page.goto("/labs/results/")
    page.set_input_files("#id_file", _file([["82-211122-BIG001", "Âm tính", "", today]]))
    page.click("[data-testid=import-form] button[type=submit]")
    summary = page.locator("[data-testid=import-summary]")
    summary.wait_for()
    assert "trong nền" in summary.inner_text()  # "being told in the background"
    screenshot(page, "labs-import-telling")
    for row in DBTaskResult.objects.filter(task_path__endswith="results_notify_task"):
        results_notify_task.call(**row.args_kwargs["kwargs"])
    page.reload()
    done = page.locator("[data-testid=import-summary]").inner_text()
    assert "trong nền" not in done  # everyone handled: the note is gone, five people told by SMS
