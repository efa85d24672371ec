"""The quarantine workflow: a case's F1s quarantined at once (preview, who is left out, contacts marked), a case's
isolation (ending its quarantine), the tests due as sampling tasks and a laboratory swab marking them sampled —
through the services, the pages and the API, within each user's jurisdiction."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.cases.models import CaseStatus
from lachan.cases.services import case_confirm
from lachan.core.errors import DomainError
from lachan.labs import sampling as lab_sampling
from lachan.labs.tests.sampling_fixtures import make_lab
from lachan.quarantine import orders
from lachan.quarantine.models import Order, RequiredTest
from lachan.quarantine.tests.orders_fixtures import *  # noqa: F403
from lachan.tracing.models import Contact
from lachan.workflows import quarantine_orders as flow
from lachan.workflows.quarantine_orders import case_contacts_plan, case_contacts_quarantine, case_isolate

pytestmark = pytest.mark.django_db


def days(n):
    return timedelta(days=n)


@pytest.fixture
def traced(exercise, people, staff, units):
    """A case in the commune with five F1s: three of the commune (one exposed 20 days ago), one of commune2, one
    of the other district; and one F2."""
    now = timezone.now()
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=timezone.localdate() - days(1),
                        origin="community", by=staff.province)
    contacts = []
    for person, ago in ((people.here[1], 2), (people.here[2], 1), (people.here[3], 20), (people.near[0], 2),
                        (people.far[0], 2)):
        contacts.append(Contact.objects.create(index_case=case, person=person, tier=1, exposed_at=now - days(ago),
                                               commune=person.commune))
    Contact.objects.create(index_case=case, person=people.here[4], tier=2, exposed_at=now, commune=units.commune)
    return case, contacts


def test_preview_and_quarantine_of_the_f1s(traced, staff, people):
    case, contacts = traced
    plan = case_contacts_plan(case=case, user=staff.district)
    assert (plan.f1, len(plan.to_order), len(plan.over), plan.outside) == (4, 3, 1, 0)
    orders.order_create(person=people.near[0], kind="quarantine", setting="home", starts_on=timezone.localdate(),
                        by=staff.district)
    done = case_contacts_quarantine(case=case, by=staff.district)
    assert len(done.result.created) == 2 and done.result.skipped == [] and len(done.plan.in_order) == 1
    made = Order.objects.filter(case=case, kind="quarantine").order_by("person__full_name")
    assert [(o.person, o.contact_tier, o.exposed_on) for o in made] == [
        (people.here[1], 1, timezone.localdate(contacts[0].exposed_at)),
        (people.here[2], 1, timezone.localdate(contacts[1].exposed_at))]
    marked = dict(Contact.objects.filter(index_case=case).values_list("person_id", "call_status"))
    assert marked[people.here[1].pk] == marked[people.near[0].pk] == "quarantined"
    assert marked[people.here[3].pk] == "to_call" and marked[people.far[0].pk] == "to_call"
    assert done.marked == 3
    again = case_contacts_plan(case=case, user=staff.commune)
    assert (again.f1, len(again.to_order), len(again.in_order)) == (3, 0, 2)
    assert case_contacts_quarantine(case=case, by=staff.commune).result.created == []


def test_no_quarantine_under_the_2022_policy(traced, staff):
    case, _contacts = traced
    with pytest.raises(DomainError) as raised:
        case_contacts_quarantine(case=case, by=staff.district, starts_on=timezone.localdate() - days(1500))
    assert raised.value.code in ("quarantine_policy_missing",)


def test_isolating_a_case_ends_its_quarantine(exercise, people, staff, facilities):
    person = people.here[0]
    today = timezone.localdate()
    quarantine = orders.order_create(person=person, kind="quarantine", setting="home", starts_on=today - days(3),
                                     exposed_on=today - days(4), by=staff.district)
    case = case_confirm(person=person, onset_date=None, sample_date=today, origin="in_quarantine", by=staff.province)
    order = case_isolate(case=case, by=staff.district, setting="facility", facility=facilities.ward,
                         room=facilities.ward_room)
    quarantine.refresh_from_db()
    assert (quarantine.status, quarantine.ended_on) == ("ended_early", today - days(1))
    assert "Confirmed as case" in quarantine.end_reason
    assert (order.kind, order.starts_on, order.ends_on, order.case_id) == ("isolation", today, today + days(9), case.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.ISOLATING_FACILITY
    with pytest.raises(DomainError) as raised:
        case_isolate(case=case, by=staff.district)
    assert raised.value.code == "quarantine_order_overlaps"


def test_tests_due_and_a_swab_marks_them_sampled(exercise, people, staff, units):
    today = timezone.localdate()
    mine = orders.order_create(person=people.here[1], kind="quarantine", setting="home", starts_on=today,
                               exposed_on=today - days(6), by=staff.district)  # day 7 due today
    late = orders.order_create(person=people.here[2], kind="quarantine", setting="home", starts_on=today,
                               exposed_on=today - days(1), by=staff.district)
    RequiredTest.objects.filter(order=late, day=1).update(due_on=today - days(2))
    theirs = orders.order_create(person=people.near[0], kind="quarantine", setting="home", starts_on=today,
                                 exposed_on=today - days(6), by=staff.district)
    due = list(flow.tests_due(user=staff.commune))
    assert [(t.order_id, t.day) for t in due] == [(late.pk, 1), (mine.pk, 7)]
    assert [t.order_id for t in flow.tests_due(user=staff.commune, overdue=False)] == [mine.pk]
    assert {t.order_id for t in flow.tests_due(user=staff.district)} == {late.pk, mine.pk, theirs.pk}
    lab = make_lab(units.commune)
    campaign = lab_sampling.campaign_create(name="Xét nghiệm cách ly", kind="quarantine", unit=units.commune,
                                            starts_on=today - days(1), laboratory=lab, by=staff.commune)
    sample = lab_sampling.sample_register(campaign=campaign, swabs=[people.here[1]], generate_code=True,
                                          reason="quarantine", by=staff.commune)
    test = mine.tests.get(day=7)
    assert (test.status, test.sample_id) == ("sampled", sample.pk)
    assert [t.order_id for t in flow.tests_due(user=staff.commune)] == [late.pk]

    # The result: nothing until the lab releases it; negative → done; a positive pool → to be swabbed again.
    from lachan.labs.models import Sample, Swab

    swab = Swab.objects.get(sample=sample, person=people.here[1])
    Swab.objects.filter(pk=swab.pk).update(outcome="negative")
    assert flow.quarantine_tests_results() == 0
    Sample.objects.filter(pk=sample.pk).update(released_at=timezone.now())
    assert flow.quarantine_tests_results() == 1
    test.refresh_from_db()
    assert (test.status, test.result) == ("done", "negative")
    assert flow.quarantine_tests_results() == 0  # done is done
    RequiredTest.objects.filter(pk=test.pk).update(status="sampled", result="")
    Swab.objects.filter(pk=swab.pk).update(outcome="retest", retest_due=True)
    assert flow.quarantine_tests_results() == 1
    test.refresh_from_db()
    assert (test.status, test.sample_id, test.result) == ("planned", None, "retest")


def test_pages_from_tracing_and_cases(client, traced, staff):
    case, _contacts = traced
    client.force_login(staff.district)
    report = client.get(reverse("tracing:report", args=[case.pk])).content.decode()
    assert 'data-testid="quarantine-f1"' in report
    preview = client.get(reverse("quarantineflows:case_contacts", args=[case.pk]))
    assert preview.status_code == 200 and 'data-testid="to-order"' in preview.content.decode()
    answer = client.post(reverse("quarantineflows:case_contacts", args=[case.pk]),
                         {"starts_on": timezone.localdate().isoformat()})
    assert answer.status_code == 302 and Order.objects.filter(case=case).count() == 3
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="isolate-case"' in detail
    answer = client.post(reverse("quarantineflows:case_isolate", args=[case.pk]),
                         {"setting": "home", "immunity": "vaccinated"})
    isolation = Order.objects.get(person=case.person)
    assert answer.status_code == 302 and isolation.ends_on == timezone.localdate(case.isolated_at) + days(6)
    page = client.get(reverse("quarantineflows:tests_due"))
    assert page.status_code == 200 and 'data-testid="tests-due"' in page.content.decode()
    export = client.get(reverse("quarantineflows:tests_due_export"))
    assert export.status_code == 200
    client.force_login(staff.other_commune)
    assert client.get(reverse("quarantineflows:case_contacts", args=[case.pk])).status_code == 404


def test_the_api(client, traced, staff, token_for):
    case, _contacts = traced
    auth = token_for(staff.district)
    base = "/api/quarantine"
    preview = client.get(f"{base}/cases/{case.pk}/contacts", **auth).json()
    assert (preview["f1"], preview["to_order"], preview["over"]) == (4, 3, 1)
    done = client.post(f"{base}/cases/{case.pk}/contacts", {}, content_type="application/json", **auth)
    assert done.status_code == 200 and len(done.json()["created"]) == 3 and done.json()["marked"] == 3
    isolated = client.post(f"{base}/cases/{case.pk}/isolate", {"setting": "home"}, content_type="application/json",
                           **auth)
    assert isolated.status_code == 201 and isolated.json()["kind"] == "isolation"
    bad = client.post(f"{base}/cases/{case.pk}/isolate", {"setting": "moon"}, content_type="application/json", **auth)
    assert bad.status_code == 400
    due = client.get(f"{base}/tests-due", **auth).json()
    assert len(due["items"]) == 3 and due["items"][0]["day"] == 1
    first = due["items"][0]  # the order's fields, read through it
    order = Order.objects.select_related("person", "commune").get(pk=first["order_id"])
    assert (first["order_code"], first["person_id"], first["person_name"], first["phone"], first["commune_code"],
            first["setting"], first["address"]) == (order.code, str(order.person_id), order.person.full_name,
                                                    order.person.phone, order.commune.code, order.setting,
                                                    order.address)
    assert client.get(f"{base}/tests-due", {"commune": "nope"}, **auth).json()["items"] == []
    other = token_for(staff.other_commune)
    assert client.get(f"{base}/cases/{case.pk}/contacts", **other).status_code == 404


def _refused(call, *, field):
    before = Order.objects.count()
    with pytest.raises(DomainError) as raised:
        call()
    assert (raised.value.code, raised.value.field) == ("quarantine_dates_invalid", field), raised.value.message
    assert Order.objects.count() == before
    return str(raised.value.message)


def test_order_dates_are_checked_against_today_and_the_case(exercise, people, staff):
    """Issue 12 item 19: an isolation order dated 11 months back was accepted and shown in force for ever."""
    a, b, by, today = people.here[0], people.here[1], staff.commune, timezone.localdate()

    def home(person, **kwargs):
        return orders.order_create(person=person, kind="quarantine", setting="home", by=by, **kwargs)

    # Eleven months back: refused, naming today.
    message = _refused(lambda: orders.order_create(person=a, kind="isolation", setting="home",
                                                   starts_on=today - days(335), by=by), field="starts_on")
    assert today.strftime("%d/%m/%Y") in message
    # Recorded late, but over already: refused (an order is made while it is to be served).
    message = _refused(lambda: home(a, starts_on=today - days(20), ends_on=today - days(2)), field="ends_on")
    assert (today - days(2)).strftime("%d/%m/%Y") in message
    # Against the case: nobody isolated as it, nor exposed to it, before it was infectious.
    case = case_confirm(person=a, onset_date=None, sample_date=today - days(3), origin="community", by=staff.province)
    assert case.infectious_from == today - days(5)
    message = _refused(lambda: orders.order_create(person=a, kind="isolation", setting="home",
                                                   starts_on=today - days(6), case=case, by=by), field="starts_on")
    assert case.code in message
    message = _refused(lambda: home(b, starts_on=today, exposed_on=today - days(7), case=case, contact_tier=1),
                       field="exposed_on")
    assert case.code in message
    assert home(b, starts_on=today, exposed_on=today - days(4), case=case, contact_tier=1).case_id == case.pk


def test_an_order_ended_early_today_lets_the_case_be_isolated_today(exercise, people, staff):
    today = timezone.localdate()
    case = case_confirm(person=people.here[0], onset_date=None, sample_date=today - days(1), origin="community",
                        by=staff.province)
    wrong = orders.order_create(person=case.person, kind="isolation", setting="home", starts_on=today - days(2),
                                case=case, by=staff.commune)
    orders.order_end_early(order=wrong, reason="Nhập sai ngày", by=staff.commune)
    again = case_isolate(case=case, by=staff.commune, starts_on=today)
    assert (again.starts_on, again.status) == (today, "active")
