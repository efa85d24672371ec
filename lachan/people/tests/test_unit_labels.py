"""Issue 12 item 20: a person of a Phường 1 is shown with the district of that Phường 1 (three towns of Tiền Giang
have one): the address block of the person page, the API."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_person_page_names_the_commune_with_its_district(client, staff, wards, make_person):
    person = make_person("Trần Thị Bình", commune=wards.go_cong, address_line="12 Nguyễn Huệ")
    client.force_login(staff.province)
    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "12 Nguyễn Huệ, Phường 1, TP. Gò Công, Tỉnh Tiền Giang" in page


def test_the_api_gives_the_label_beside_the_official_name(client, staff, wards, make_person, token_for):
    for ward in (wards.my_tho, wards.go_cong):
        make_person("Lê Văn Cường", commune=ward)
    items = client.get("/api/people/", {"query": "Lê Văn Cường"}, **token_for(staff.province)).json()["items"]
    assert sorted((p["commune_code"], p["commune_name"], p["commune_label"]) for p in items) == [
        (wards.my_tho.code, "Phường 1", "Phường 1, TP. Mỹ Tho"), (wards.go_cong.code, "Phường 1", "Phường 1, TP. Gò Công")]
