"""Issue 12 item 20: the quarantine tests due of two Phường 1 (TP. Mỹ Tho, TP. Gò Công) are told apart in the
Excel list and the API; the map's facilities say which Phường 1 they stand in."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lachan.people.models import Person
from lachan.quarantine import facilities as facility_services
from lachan.quarantine import orders as order_services
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.situation.map_layers import facilities_layer

pytestmark = pytest.mark.django_db
LABELS = ["Phường 1, TP. Gò Công", "Phường 1, TP. Mỹ Tho"]


@pytest.fixture
def due(exercise, wards, staff):
    """A home quarantine in each Phường 1 whose first test is overdue."""
    for n, ward in enumerate((wards.my_tho, wards.go_cong)):
        person = Person.objects.create(full_name=f"Người Phường Một {n}", commune=ward, birth_year=1980 + n)
        day = timezone.localdate() - timedelta(days=5)
        order_services.order_create(person=person, kind="quarantine", setting="home", starts_on=day, exposed_on=day,
                              contact_tier=1, by=staff.province)


def test_the_tests_due_say_which_phuong_1(client, due, staff, token_for):
    client.force_login(staff.province)
    export = client.get(reverse("quarantineflows:tests_due_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.values)
    assert sorted({row[0] for row in rows[1:]}) == LABELS
    items = client.get("/api/quarantine/tests-due", **token_for(staff.province)).json()["items"]
    assert sorted({t["commune_label"] for t in items}) == LABELS


def test_the_maps_facilities_say_which_phuong_1(wards, staff):
    for ward in (wards.my_tho, wards.go_cong):
        facility_services.facility_create(name=f"Khu cách ly {ward.parent.name}", commune=ward, latitude=10.4, longitude=106.4,
                                 by=staff.province)
    layer = facilities_layer(staff.province, on=None)
    assert sorted(f["properties"]["commune"] for f in layer["features"]) == LABELS
