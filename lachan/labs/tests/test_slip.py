"""The signed result slip: the PDF's content, its QR's verification page (valid, superseded, forged,
truncated), the short-lived download link and the staff's print from the sample page."""

import re
import shutil
import subprocess
import time
from unittest import mock

import pytest
from django.urls import reverse

from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError
from lachan.labs import results
from lachan.labs.lookup import slip
from lachan.labs.models import Result
from lachan.labs.tests.lookup_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def lookup_slip_url(client, code, birth_date, **extra) -> str:
    response = client.post("/api/labs/results/lookup", {"code": code, "birth_date": birth_date, **extra},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"][0]["slip_url"]


def test_slip_pdf_content(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    url = lookup_slip_url(client, "82-TG-0001", "21/07/1985")
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="ket-qua-82-TG-0001.pdf"'
    assert response["Cache-Control"] == "no-store, private"
    text = pdf_text(response.content)
    for expected in ("PHIẾU KẾT QUẢ XÉT NGHIỆM", "Nguyễn Văn An", "1985", "••••••••1234", "82-TG-0001", "RT-PCR",
                     "ÂM TÍNH", "Negative", "CDC Tiền Giang", "Quét mã QR để xác minh phiếu",
                     "http://testserver/ket-qua/xac-minh/"):
        assert expected in text, expected
    assert "21/07/1985" not in text and "082085001234" not in text  # year of birth only, the CCCD masked
    assert AuditEvent.objects.filter(action="labs.slip_download", person_id=world.an.pk, channel="public").exists()


def test_slip_qr_verifies(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.POSITIVE)
    text = pdf_text(client.get(lookup_slip_url(client, "82-TG-0001", "21/07/1985")).content)
    printed = "".join(re.findall(r"[\w/:.\-]+", text[text.index("http://testserver/ket-qua/xac-minh/"):])[:4])
    token = slip.slip_of(world.an.swabs.get().pk).token
    assert printed.startswith(f"http://testserver/ket-qua/xac-minh/{token}"[:60])
    response = client.get(reverse("results:verify", args=[token]))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="verify-valid"' in page
    assert "N***** V** A*" in page and "Nguyễn" not in page and "Positive" in page and "82-TG-0001" in page


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1],  # truncated signature
    lambda t: t[:20],  # truncated swab id
    lambda t: t.replace(".P0.", ".N0."),  # the result changed
    lambda t: t[:5] + ("B" if t[5] != "B" else "C") + t[6:],  # another swab
    lambda t: t + "x",
    lambda t: "",
    lambda t: "....",
    lambda t: "x" * 200,
    lambda t: "%C3%A9t%E1%BB%91" + t,
])
def test_forged_or_truncated_tokens_are_not_valid(client, world, mangle):
    world.sample("82-TG-0001", [world.an], release=Result.POSITIVE)
    token = slip.slip_of(world.an.swabs.get().pk).token
    bad = mangle(token)
    with pytest.raises(DomainError):
        slip.slip_verify(bad)
    if bad:
        response = client.get(f"/ket-qua/xac-minh/{bad}")
        assert response.status_code == 404 and 'data-testid="verify-invalid"' in response.content.decode()


def test_a_signed_token_of_a_deleted_swab_is_not_valid(world):
    sample = world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    token = slip.slip_of(sample.swabs.get().pk).token
    sample.swabs.all().delete()
    with pytest.raises(DomainError) as exc:
        slip.slip_verify(token)
    assert exc.value.code == "labs_slip_invalid"


def test_a_scanned_address_is_read_as_its_token(world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    token = slip.slip_of(world.an.swabs.get().pk).token
    assert slip.slip_verify(f"https://lachan.example/ket-qua/xac-minh/{token}").valid


def test_a_correction_supersedes_older_slips(client, world):
    sample = world.sample("82-TG-0001", [world.an], release=Result.POSITIVE)
    old = slip.slip_of(world.an.swabs.get().pk).token
    results.result_correct(sample=sample, result=Result.NEGATIVE, reason="Nhầm ống", by=world.lab_user)
    check = slip.slip_verify(old)
    assert not check.valid and check.outcome == "positive"
    page = client.get(reverse("results:verify", args=[old])).content.decode()
    assert 'data-testid="verify-superseded"' in page and "corrected" in page
    new = slip.slip_of(world.an.swabs.get().pk).token
    assert new != old and slip.slip_verify(new).valid
    # corrected back to the first result: the first slip stays superseded (the count of corrections moved on)
    results.result_correct(sample=sample, result=Result.POSITIVE, reason="Kiểm tra lại", by=world.lab_user)
    assert not slip.slip_verify(old).valid and not slip.slip_verify(new).valid
    assert slip.slip_verify(slip.slip_of(world.an.swabs.get().pk).token).valid


def test_pool_member_slip_and_verification(client, world):
    world.sample("82-TG-0100", [world.an, world.binh], release=Result.POSITIVE)
    url = lookup_slip_url(client, "82-TG-0100", "02/01/1990")
    text = pdf_text(client.get(url).content)
    assert "Trần Thị Bình" in text and "MẪU GỘP DƯƠNG TÍNH" in text and "(mẫu gộp / pooled)" in text
    assert "Nguyễn Văn An" not in text and "Số CCCD" in text


def test_download_link_expires_and_is_signed(client, world):
    world.sample("82-TG-0001", [world.an], release=Result.NEGATIVE)
    url = lookup_slip_url(client, "82-TG-0001", "21/07/1985")
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 31 * 60):
        response = client.get(url)
    assert response.status_code == 404 and "expired" in response.content.decode()
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("results:slip", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("results:slip", args=["nothing"])).status_code == 404


def test_no_slip_before_release(world):
    sample = world.sample("82-TG-0002", [world.an], status="received")
    with pytest.raises(DomainError):
        slip.slip_of(sample.swabs.get().pk)


def test_staff_print_a_slip_from_the_sample_page(client, world):
    sample = world.sample("82-TG-0100", [world.an, world.far], release=Result.NEGATIVE)
    an_swab, far_swab = sample.swabs.get(person=world.an), sample.swabs.get(person=world.far)
    url = reverse("labs:slip", args=[sample.pk, an_swab.pk])
    client.force_login(world.staff.commune)
    response = client.get(url)
    assert response.status_code == 200 and "Nguyễn Văn An" in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="labs.slip", actor=world.staff.commune, person_id=world.an.pk).exists()
    # someone outside the commune station's jurisdiction
    assert client.get(reverse("labs:slip", args=[sample.pk, far_swab.pk])).status_code == 404
    assert client.get(reverse("labs:slip", args=[far_swab.pk, an_swab.pk])).status_code == 404  # wrong sample
    detail = client.get(reverse("labs:sample_detail", args=[sample.pk])).content.decode()
    assert url in detail
    client.force_login(world.lab_user)  # the laboratory's staff: everyone in their tubes
    assert client.get(reverse("labs:slip", args=[sample.pk, far_swab.pk])).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the log-in
