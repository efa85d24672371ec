"""The case-confirm page's person picker (issue 12 items 20, 21): found by name, CCCD or phone as the people search
finds them (audited as a search), within the reader's jurisdiction, each named with their commune and district."""

import pytest

from lachan.accounts.models import AuditEvent
from lachan.people.models import Person

pytestmark = pytest.mark.django_db


def test_the_picker_finds_by_name_cccd_or_phone_in_the_jurisdiction(client, staff, units):
    here = Person.objects.create(full_name="Trần Văn Minh", commune=units.commune, national_id="082090123456",
                                 phone="0909123456", birth_year=1980)
    far = Person.objects.create(full_name="Trần Văn Minh", commune=units.other_commune, national_id="082090654321",
                                phone="0909654321")
    client.force_login(staff.commune)
    for query in ("tran van minh", "082090123456", "0909 123 456", "+84909123456"):
        html = client.get("/cases/new/", {"q": query}).content.decode()
        assert f'value="{here.pk}"' in html, query
        assert f'value="{far.pk}"' not in html, query
        assert f"Trần Văn Minh · {units.commune.label} · 1980" in html
    assert f'value="{far.pk}"' not in client.get("/cases/new/", {"q": "082090654321"}).content.decode()
    assert AuditEvent.objects.filter(action="search", detail__query="082090123456", detail__for="case_confirm").exists()
