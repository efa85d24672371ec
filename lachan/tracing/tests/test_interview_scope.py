"""The interview-contacts page shows only the named people living in the reader's jurisdiction, as the
tracing report, its Excel and the API do, and the read is audited (issue 12, item 2)."""

from datetime import date

import pytest
from django.urls import reverse

from lachan.accounts.models import AuditEvent
from lachan.tracing import selectors, services
from lachan.workflows.case_confirmation import case_confirm_and_trace

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(world, epi):
    """An's case (commune of Mỹ Tho) named his wife (same commune) and a shopper living in another district,
    each with the interviewer's notes."""
    case = case_confirm_and_trace(person=world.an, onset_date=date(2021, 8, 12), sample_date=date(2021, 8, 13),
                                  origin="community", confirmed_at=at(96), by=epi).case
    services.interview_contact_add(case=case, person=world.wife, relationship="wife", last_contact_at=at(50),
                                   minutes=600, masked=False, notes="Ở chung nhà", by=epi)
    services.interview_contact_add(case=case, person=world.shopper, relationship="lover", last_contact_at=at(40),
                                   minutes=90, masked=False, notes="Gặp riêng ở nhà nghỉ", by=epi)
    return case


def test_page_lists_only_people_in_the_readers_jurisdiction(client, named, world):
    district = world.staff.district  # Mỹ Tho: sees An's case, not the shopper in the other district
    client.force_login(district)
    body = client.get(reverse("tracing:interview", args=[named.pk])).content.decode()
    assert "Trần Thị Bình" in body and "Ở chung nhà" in body
    assert "Võ Văn Em" not in body and "nhà nghỉ" not in body and "lover" not in body
    assert "1 person named lives outside your jurisdiction" in body
    assert "Trace again" in body
    shown = AuditEvent.objects.filter(action="interview.view", actor=district)
    assert set(shown.values_list("person_id", flat=True)) == {world.wife.pk}


def test_the_province_sees_everyone_named(client, named, world, epi):
    client.force_login(epi)
    body = client.get(reverse("tracing:interview", args=[named.pk])).content.decode()
    assert "Trần Thị Bình" in body and "Võ Văn Em" in body and "nhà nghỉ" in body
    assert "outside your jurisdiction" not in body
    assert set(AuditEvent.objects.filter(action="interview.view", actor=epi).values_list("person_id", flat=True)) == {
        world.wife.pk, world.shopper.pk}


def test_selector_for_a_reader_without_jurisdiction(named, world, make_user):
    from lachan.accounts.roles import Role

    nobody = make_user(Role.IOC_OPERATOR)  # bound to no unit: sees no one
    rows = selectors.interview_contacts(user=nobody, case=named)
    assert rows.visible == [] and rows.hidden == 2
    assert not AuditEvent.objects.filter(action="interview.view", actor=nobody).exists()
