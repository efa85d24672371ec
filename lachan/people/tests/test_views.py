from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.people.models import DuplicateCandidate, Person


@pytest.fixture
def people(units, make_person):
    return {
        "an": make_person("Nguyễn Văn An", phone="0912345678", birth_date=date(1990, 5, 1)),
        "an2": make_person("Nguyen Van An", birth_date=date(1990, 5, 1)),
        "chau": make_person("Lê Minh Châu", commune=units.other_commune),
    }


def test_list_search_and_scope(client, staff, people):
    client.force_login(staff.commune)
    page = client.get(reverse("people:list"), {"q": "nguyen van"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nguyễn Văn An" in body and "Lê Minh Châu" not in body and 'data-label="' in body
    assert "Lê Minh Châu" not in client.get(reverse("people:list"), {"q": "chau"}).content.decode()


def test_list_bad_filters_do_not_crash(client, staff, people):
    client.force_login(staff.province)
    page = client.get(reverse("people:list"), {"birth_year_from": "abc", "commune": "999999", "page": "-3"})
    assert page.status_code == 200


def test_detail_and_404_outside_scope(client, staff, people):
    client.force_login(staff.commune)
    page = client.get(reverse("people:detail", args=[people["an"].pk]))
    assert page.status_code == 200 and "0912345678" in page.content.decode()
    assert client.get(reverse("people:detail", args=[people["chau"].pk])).status_code == 404
    assert AuditEvent.objects.filter(action="read", person_id=people["an"].pk).count() == 1
    assert not AuditEvent.objects.filter(person_id=people["chau"].pk).exists()


def test_create_form_shows_errors_and_saves(client, staff, units):
    client.force_login(staff.commune)
    bad = client.post(reverse("people:create"), {"full_name": "Trần Bình", "sex": "F", "commune": units.commune.pk,
                                                 "phone": "+1 202 555 0123", "national_id": "082090000123"})
    assert bad.status_code == 200 and "not a Vietnamese mobile number" in bad.content.decode()
    assert not Person.objects.exists()
    ok = client.post(reverse("people:create"), {"full_name": "Trần Bình", "sex": "F", "commune": units.commune.pk,
                                                "phone": "01623456789"})
    person = Person.objects.get()
    assert ok.status_code == 302 and ok.url == reverse("people:detail", args=[person.pk])
    assert person.phone == "0323456789"
    edit = client.post(reverse("people:edit", args=[person.pk]), {"full_name": "Trần Thị Bình", "sex": "F",
                                                                  "commune": units.commune.pk, "phone": "0323456789"})
    assert edit.status_code == 302
    person.refresh_from_db()
    assert person.full_name == "Trần Thị Bình"


def test_export_xlsx(client, staff, people):
    client.force_login(staff.commune)
    response = client.get(reverse("people:export"), {"q": "an"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Full name" and {r[0] for r in rows[1:]} == {"Nguyễn Văn An", "Nguyen Van An"}
    assert AuditEvent.objects.filter(action="export", detail__query="an").exists()


def test_export_needs_permission(client, units, make_user, people):
    client.force_login(make_user(Role.CHECKPOINT_OFFICER, unit=units.province))
    assert client.get(reverse("people:export")).status_code == 403
    assert client.get(reverse("people:list")).status_code == 200


def test_duplicate_queue_merge_and_dismiss(client, staff, people):
    from lachan.people.duplicates import duplicates_detect_all

    duplicates_detect_all()
    cand = DuplicateCandidate.objects.get()
    client.force_login(staff.commune)
    page = client.get(reverse("people:duplicates"))
    assert page.status_code == 200 and f'data-testid="duplicate-{cand.pk}"' in page.content.decode()
    assert client.get(reverse("people:duplicate_merge", args=[cand.pk])).status_code == 405
    assert client.post(reverse("people:duplicate_merge", args=[cand.pk]), {"keep": str(cand.person_b_id)}).status_code == 302
    assert Person.objects.get(pk=cand.person_a_id).merged_into_id == cand.person_b_id
    # The old address of a merged record leads to the survivor.
    old = client.get(reverse("people:detail", args=[cand.person_a_id]))
    assert old.status_code == 302 and old.url == reverse("people:detail", args=[cand.person_b_id])
    client.force_login(staff.other_commune)
    assert client.post(reverse("people:duplicate_dismiss", args=[cand.pk])).status_code == 404


def test_citizen_sees_only_own_record(client, units, make_user, people):
    citizen = make_user(Role.CITIZEN)
    client.force_login(citizen)
    assert "not linked" in client.get(reverse("people:mine")).content.decode()
    people["an"].account = citizen
    people["an"].save()
    assert "Nguyễn Văn An" in client.get(reverse("people:mine")).content.decode()
    assert client.get(reverse("people:list")).url == reverse("people:mine")
    assert client.get(reverse("web:home")).url == reverse("people:mine")


def test_anonymous_is_sent_to_login(client, people):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and "login" in response.url


def test_export_keeps_formulas_as_text_and_survives_control_characters(client, staff, make_person):
    """A name typed as a formula is exported as text; one stored control character (saved before input was
    cleaned) used to fail the whole export with a 500."""
    make_person("=HYPERLINK(\"http://evil.example\",\"An\")", phone="0912345670")
    Person.objects.filter(phone="0912345670").update(address_line="Ấp 3\x01\x1b")  # as stored by an old version
    client.force_login(staff.commune)
    response = client.get(reverse("people:export"))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(min_row=2))
    cell = rows[0][0]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
    assert "Ấp 3" in [c.value for c in rows[0]]


def test_control_characters_are_cleaned_from_every_input(client, staff, units):
    client.force_login(staff.commune)
    client.post(reverse("people:create"), {"full_name": "Trần\x0b Bình\x07", "sex": "F", "commune": units.commune.pk,
                                           "phone": "0323456789", "address_line": "Ấp\x1b 3"})
    person = Person.objects.get()
    assert person.full_name == "Trần Bình" and person.address_line == "Ấp 3"
    body = '{"full_name": "L\\u0001ê\u0085 Châu", "sex": "M", "commune": "COMMUNE"}'
    api = client.post("/api/people/", body.replace("COMMUNE", units.commune.code), content_type="application/json")
    assert api.status_code == 201, api.content
    assert Person.objects.get(pk=api.json()["id"]).full_name == "Lê Châu"
    page = client.get(reverse("people:list"), {"q": "tr\x01an"})
    assert page.status_code == 200 and "Trần Bình" in page.content.decode()
