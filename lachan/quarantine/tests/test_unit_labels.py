"""Issue 12 item 20: an order of a Phường 1 says which one (three towns of Tiền Giang have a Phường 1) on the
printed decision and certificate, in the Excel export and in the API; the decision keeps its legal wording (the
commune's committee "UBND Phường 1", the district's on the line above)."""

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lachan.people.models import Person
from lachan.quarantine import orders as order_services
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())  # lines broken where the page broke them


@pytest.fixture
def orders(exercise, wards, staff):
    """A home quarantine in each Phường 1, made by the province."""
    def order(ward, n):
        person = Person.objects.create(full_name=f"Người Phường Một {n}", commune=ward, birth_year=1980 + n,
                                       phone=f"09125{n:05d}", address_line=f"{n} Lê Lợi")
        day = timezone.localdate() - timedelta(days=13)
        return order_services.order_create(person=person, kind="quarantine", setting="home", starts_on=day, exposed_on=day,
                                     contact_tier=1, address=f"{n} Lê Lợi", by=staff.province)

    return order(wards.my_tho, 1), order(wards.go_cong, 2)


def test_the_decision_and_the_certificate_say_which_phuong_1(client, orders, staff):
    my_tho, _go_cong = orders
    client.force_login(staff.province)
    text = pdf_text(client.get(reverse("quarantine:order_pdf", args=[my_tho.pk])).content)
    assert "Nơi cư trú: 1 Lê Lợi, Phường 1, TP. Mỹ Tho, Tỉnh Tiền Giang" in text
    assert "tại nhà: 1 Lê Lợi, Phường 1, TP. Mỹ Tho, Tỉnh Tiền Giang" in text
    assert "UBND THÀNH PHỐ MỸ THO" in text and "UBND PHƯỜNG 1" in text  # the issuer under its district's committee
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG 1" in text  # the legal title stays the commune's own

    order_services.order_release(order=my_tho, by=staff.province)
    text = pdf_text(client.get(reverse("quarantine:order_certificate", args=[my_tho.pk])).content)
    assert "UBND THÀNH PHỐ MỸ THO" in text and "TRẠM Y TẾ PHƯỜNG 1" in text
    assert "1 Lê Lợi, Phường 1, TP. Mỹ Tho, Tỉnh Tiền Giang" in text


def test_the_export_and_the_api_say_which_phuong_1(client, orders, staff, token_for):
    client.force_login(staff.province)
    export = client.get(reverse("quarantine:order_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    column = rows[0].index("Commune")
    assert sorted(row[column] for row in rows[1:]) == ["Phường 1, TP. Gò Công", "Phường 1, TP. Mỹ Tho"]

    items = client.get("/api/quarantine/orders", **token_for(staff.province)).json()["items"]
    assert sorted((o["commune_name"], o["commune_label"]) for o in items) == [
        ("Phường 1", "Phường 1, TP. Gò Công"), ("Phường 1", "Phường 1, TP. Mỹ Tho")]
