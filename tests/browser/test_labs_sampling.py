"""Laboratory sampling (issue 4): a commune station registers a pool at the sampling desk on a phone —
scanning the tube code, adding people by their scanned CCCD, by phone number and by name — fixes a mistake,
saves, and prints the tube's label (PDF, rendered to PNG to look at)."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk_site(units, staff):
    from lachan.geo.models import Place, PlaceKind
    from lachan.labs.models import Laboratory
    from lachan.labs.sampling import services
    from lachan.people.models import Person

    lab = Laboratory.objects.create(place=Place.objects.create(kind=PlaceKind.LABORATORY, commune=units.commune,
                                                               name="Phòng xét nghiệm CDC Tiền Giang"))
    campaign = services.campaign_create(name="Sàng lọc phường 1 lần 1", kind="screening", unit=units.commune,
                                        starts_on=timezone.localdate() - timedelta(days=2), pool_size=5,  # a tube of 26 h ago is in it
                                        laboratory=lab, by=staff.commune)
    site = services.site_create(campaign=campaign, name="Nhà văn hoá khu phố 3", commune=units.commune,
                                by=staff.commune)
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Thị Em", "Hồ Văn Phúc"]
    people = [Person.objects.create(full_name=name, commune=units.commune, birth_year=1970 + 5 * n,
                                    national_id=f"08209{n:07d}", phone=f"090800{n:04d}")
              for n, name in enumerate(names)]
    return site, people


def test_pool_at_the_sampling_desk_on_a_phone(phone_page, desk_site):
    site, people = desk_site
    page = phone_page
    login(page, "commune")
    page.goto("/labs/")
    page.click("text=Sàng lọc phường 1 lần 1")
    page.click(f"a[href='/labs/sites/{site.pk}/desk/']")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=code]").evaluate("e => e === document.activeElement")
    # The scanner types the tube code and Enter: the cursor goes on to the people.
    page.fill("[data-testid=code]", "TG-POOL-0007")
    page.press("[data-testid=code]", "Enter")
    assert page.locator("#id_q").evaluate("e => e === document.activeElement")
    # Scanned CCCDs (Enter after each): each person is added at once.
    for person in people[:3]:
        page.fill("#id_q", person.national_id)
        page.press("#id_q", "Enter")
        page.wait_for_load_state("networkidle")
    # A phone number typed, then a name: pick from the candidates.
    page.fill("#id_q", "0908 00 0003")
    page.press("#id_q", "Enter")
    page.wait_for_load_state("networkidle")
    page.fill("#id_q", "vo thi em")
    page.click("[data-testid=find]")
    page.locator("[data-testid=candidates] button", has_text="Võ Thị Em").click()
    page.wait_for_load_state("networkidle")
    # A mistake: the same CCCD again is refused, the tube keeps its five people.
    page.fill("#id_q", people[0].national_id)
    page.press("#id_q", "Enter")
    page.wait_for_load_state("networkidle")
    assert people[0].full_name in page.locator("[data-testid=desk-errors]").inner_text()
    assert page.locator("[data-testid=members] li").count() == 5
    assert page.input_value("[data-testid=code]") == "TG-POOL-0007"
    screenshot(page, "labs-desk-phone-pool")
    page.click("[data-testid=save]")
    page.wait_for_load_state("networkidle")
    saved = page.locator("[data-testid=saved]")
    assert "TG-POOL-0007" in saved.inner_text() and "5" in saved.inner_text()
    assert page.locator("[data-testid=members] li").count() == 0  # ready for the next tube
    screenshot(page, "labs-desk-phone-saved")

    from lachan.labs.models import Sample

    sample = Sample.objects.get(code="TG-POOL-0007")
    assert sample.pooled and [s.person_id for s in sample.swabs.order_by("position")] == [p.pk for p in people[:5]]

    href = saved.locator("[data-testid=print-label]").get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "labs-label.pdf").write_bytes(pdf.body())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile",
                        str(ARTIFACTS / "labs-label.pdf"), str(ARTIFACTS / "labs-label")], check=True)
        assert (ARTIFACTS / "labs-label.png").exists()
        text = subprocess.run(["pdftotext", str(ARTIFACTS / "labs-label.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "TG-POOL-0007" in text and "Mẫu gộp: 5 người" in text and "Nguyễn" not in text

    # The tube's page: its people and its history.
    page.goto(f"/labs/samples/{sample.pk}/")
    assert page.locator("[data-testid=swab-row]").count() == 5
    screenshot(page, "labs-sample-phone")


def test_campaign_page_and_the_lab_receiving(page, desk_site, staff, make_user):
    from lachan.accounts.roles import Role
    from lachan.labs.models import Laboratory, Sample
    from lachan.labs.sampling import registering

    site, people = desk_site
    campaign = site.campaign
    at = timezone.now() - timedelta(hours=26)
    registering.sample_register(campaign=campaign, site=site, swabs=people[:5], code="TG-POOL-0001", collected_at=at,
                                by=staff.commune)
    registering.sample_register(campaign=campaign, site=site, swabs=[people[5]], code="TG-0002", reason="symptoms",
                                by=staff.commune)
    login(page, "commune")
    page.goto(f"/labs/campaigns/{campaign.pk}/")
    assert page.locator("[data-testid=sample-row]").count() == 2
    assert page.locator("[data-testid=site-row]").count() == 1
    screenshot(page, "labs-campaign")
    page.click("text=Đăng xuất")

    make_user(Role.LAB_STAFF, place=Laboratory.objects.get().place, username="labtech")
    login(page, "labtech")
    page.goto("/labs/")
    assert page.locator("[data-testid=lab-queue-box] h2").all_inner_texts() == ["2", "0"]
    page.goto("/labs/receive/")
    page.fill("#id_codes", "TG-POOL-0001\nTG-9999\n")
    page.click("[data-testid=receive-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-testid=receive-row]")
    assert rows.count() == 2 and "TG-9999" in rows.nth(1).inner_text()
    screenshot(page, "labs-receive")
    assert Sample.objects.get(code="TG-POOL-0001").status == "received"
    page.goto("/labs/queue/")
    assert page.locator("[data-testid=sample-row]").count() == 2
    screenshot(page, "labs-queue")
