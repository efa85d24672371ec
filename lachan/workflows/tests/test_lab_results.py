"""What follows a released result: one case per positive person (however many positives), its origin, the
tracing that starts by itself, re-test lists per commune, all or nothing, messages only after commit."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.cases.models import Case, CaseOrigin, CaseStatus
from lachan.labs.models import Result, Sample, SampleStatus, Swab, SwabOutcome
from lachan.labs.results.selectors import retests_due
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes, hours_ago
from lachan.notifications.models import Message
from lachan.tracing.models import CallStatus, Contact, Tier, TracingRun
from lachan.workflows.lab_results import lab_result_correct, lab_result_enter, lab_results_import
from lachan.workflows.lab_results import services as lab_results

pytestmark = pytest.mark.django_db


def import_file(w, rows, **kw):
    return lab_results_import(laboratory=w.lab, data=csv_bytes([["Mã mẫu", "Kết quả", "Ct"], *rows]),
                              filename="kq.csv", by=kw.pop("by", w.lab_user), **kw)


def test_individual_positive_confirms_a_case_and_traces_it(lab_world):
    w = lab_world
    sample = w.make_sample("S-AN", [w.an], lab=w.lab, collected_at=hours_ago(30))
    outcome = lab_result_enter(sample=sample, result=Result.POSITIVE, ct_value=18.2, by=w.lab_user)
    case = Case.objects.get(person=w.an)
    assert outcome.follow_up.confirmed == [case]
    assert case.origin == CaseOrigin.COMMUNITY and case.onset_date is None
    assert case.sample_date == timezone.localtime(sample.collected_at).date()
    assert "S-AN" in case.notes and "CDC Tiền Giang" in case.notes
    assert sample.swabs.get().case == case
    # Tracing started by itself: the household member is an F1 and is told.
    run = TracingRun.objects.get(case=case)
    assert run.counts["f1"] == 1
    contact = Contact.objects.get(index_case=case)
    assert contact.person == w.wife and contact.tier == Tier.F1 and contact.notified_at is not None
    assert Message.objects.filter(template_code="tracing.f1_notice", person_id=w.wife.pk).exists()
    assert Message.objects.filter(template_code="labs.result_positive", person_id=w.an.pk).exists()
    event = AuditEvent.objects.get(action="labs.case_confirm")
    assert event.actor == w.lab_user and event.detail == {"case": case.code, "sample": "S-AN"}


def test_one_case_however_many_positives(lab_world):
    w = lab_world
    first = w.make_sample("S-1", [w.an], lab=w.lab, collected_at=hours_ago(40))
    lab_result_enter(sample=first, result=Result.POSITIVE, by=w.lab_user)
    case = Case.objects.get(person=w.an)
    # Two more positives for An in one file, and one for his wife.
    w.make_sample("S-2", [w.an], lab=w.lab, collected_at=hours_ago(20))
    w.make_sample("S-3", [w.an], lab=w.lab, collected_at=hours_ago(19))
    w.make_sample("S-4", [w.wife], lab=w.lab, collected_at=hours_ago(19))
    outcome = import_file(w, [["S-2", "Dương tính", "25"], ["S-3", "POS", "26"], ["S-4", "Dương tính", ""]])
    assert outcome.ok, outcome.record.errors
    assert Case.objects.filter(person=w.an).count() == 1
    assert outcome.record.summary["cases"] == 1 and outcome.record.summary["linked"] == 2
    assert set(Swab.objects.filter(sample__code__in=["S-1", "S-2", "S-3"]).values_list("case", flat=True)) == {case.pk}
    # And across files: a second file with An positive again links, confirms nothing.
    w.make_sample("S-5", [w.an], lab=w.lab, collected_at=hours_ago(5))
    again = import_file(w, [["S-5", "Dương tính", "30"]])
    assert again.ok and again.record.summary["cases"] == 0 and again.record.summary["linked"] == 1
    assert Case.objects.count() == 2


def test_a_recovered_case_long_ago_gets_a_new_case(lab_world):
    w = lab_world
    from lachan.cases.services import case_confirm

    old = case_confirm(person=w.an, onset_date=None, sample_date=timezone.localdate() - timedelta(days=200),
                       origin=CaseOrigin.COMMUNITY, confirmed_at=timezone.now() - timedelta(days=200), by=system_actor("tests"))
    Case.objects.filter(pk=old.pk).update(status=CaseStatus.RECOVERED)
    sample = w.make_sample("S-RE", [w.an], lab=w.lab)
    outcome = lab_result_enter(sample=sample, result=Result.POSITIVE, by=w.lab_user)
    assert len(outcome.follow_up.confirmed) == 1 and Case.objects.filter(person=w.an).count() == 2


def test_positive_in_quarantine_is_not_a_community_case(lab_world):
    w = lab_world
    source = w.person("Nguồn Lây")
    from lachan.cases.services import case_confirm

    index = case_confirm(person=source, onset_date=None, sample_date=timezone.localdate() - timedelta(days=5),
                         origin=CaseOrigin.COMMUNITY, confirmed_at=timezone.now() - timedelta(days=4), by=system_actor("tests"))
    Contact.objects.create(index_case=index, person=w.far, tier=Tier.F1, exposed_at=timezone.now() - timedelta(days=6),
                           commune=w.far.commune, call_status=CallStatus.QUARANTINED,
                           called_at=timezone.now() - timedelta(days=4))
    # An F1 not marked quarantined stays a community case.
    Contact.objects.create(index_case=index, person=w.people[0], tier=Tier.F1,
                           exposed_at=timezone.now() - timedelta(days=6), commune=w.people[0].commune)
    w.make_sample("S-FAR", [w.far], lab=w.lab)
    w.make_sample("S-P0", [w.people[0]], lab=w.lab)
    outcome = import_file(w, [["S-FAR", "Dương tính", "22"], ["S-P0", "Dương tính", "23"]])
    assert outcome.ok
    assert Case.objects.get(person=w.far).origin == CaseOrigin.IN_QUARANTINE
    assert Case.objects.get(person=w.far).status == CaseStatus.ISOLATING_FACILITY
    assert Case.objects.get(person=w.people[0]).origin == CaseOrigin.COMMUNITY


def test_positive_under_a_quarantine_order_is_detected_in_quarantine(lab_world):
    """A quarantine order covering the day of the sample makes the case "detected in quarantine" (not a
    community case for the risk levels); an order that ended before the sample does not."""
    from lachan.core.policies import policy_supersede
    from lachan.quarantine import orders
    from lachan.quarantine.tests.orders_fixtures import EXERCISE_RULES

    w = lab_world
    today = timezone.localdate()
    policy_supersede(kind="quarantine", version="test", valid_from=today - timedelta(days=60), rules=EXERCISE_RULES)
    inside, ended = w.people[1], w.people[2]
    orders.order_create(person=inside, kind="quarantine", setting="home", starts_on=today - timedelta(days=3),
                        by=system_actor("tests"))
    done = orders.order_create(person=ended, kind="quarantine", setting="home", starts_on=today - timedelta(days=9),
                               by=system_actor("tests"))
    orders.order_end_early(order=done, reason="moved away", on=today - timedelta(days=2), by=system_actor("tests"))
    w.make_sample("S-IN", [inside], lab=w.lab)
    w.make_sample("S-OUT", [ended], lab=w.lab)
    assert import_file(w, [["S-IN", "Dương tính", "22"], ["S-OUT", "Dương tính", "23"]]).ok
    assert Case.objects.get(person=inside).origin == CaseOrigin.IN_QUARANTINE
    assert Case.objects.get(person=ended).origin == CaseOrigin.COMMUNITY


def test_positive_pool_flags_members_for_their_commune_station(lab_world, make_user):
    w = lab_world
    w.make_sample("P-A", w.people[3:9], lab=w.lab)  # 3 in the first commune, 3 in the second
    w.make_sample("P-B", w.people[9:12], lab=w.lab)  # second commune
    outcome = import_file(w, [["P-A", "Dương tính", "31"], ["P-B", "Âm tính", ""]])
    assert outcome.ok and outcome.record.summary["retest"] == 6 and outcome.record.summary["negative"] == 3
    assert not Case.objects.exists()  # a positive pool confirms nobody
    station2 = make_user(Role.COMMUNE_STATION, unit=w.units.commune2)
    assert {s.person_id for s in retests_due(user=w.staff.commune)} == {p.pk for p in w.people[3:6]}
    assert {s.person_id for s in retests_due(user=station2)} == {p.pk for p in w.people[6:9]}
    assert Message.objects.filter(template_code="labs.pool_retest").count() == 6


def test_many_positives_traced_in_one_go(lab_world, monkeypatch):
    w = lab_world
    calls = []
    real = lab_results.cases_trace_and_notify

    def spy(*, cases, by, now=None):
        calls.append(len(cases))
        return real(cases=cases, by=by, now=now)

    monkeypatch.setattr(lab_results, "cases_trace_and_notify", spy)
    for i in range(5):
        w.make_sample(f"S-{i}", [w.people[i]], lab=w.lab)
    outcome = import_file(w, [[f"S-{i}", "Dương tính", "20"] for i in range(5)])
    assert outcome.ok and outcome.record.summary["cases"] == 5
    assert calls == [5] and TracingRun.objects.count() == 5
    monkeypatch.setattr(lab_results, "cases_trace_and_notify", lambda **kw: pytest.fail("traced"))
    w.make_sample("S-9", [w.people[9]], lab=w.lab)
    untraced = import_file(w, [["S-9", "Dương tính", "20"]], trace=False)  # for measuring the import alone
    assert untraced.ok and untraced.record.summary["cases"] == 1


def test_a_failing_row_leaves_nothing_no_case_no_message(lab_world):
    w = lab_world
    w.make_sample("S-AN", [w.an], lab=w.lab)
    w.make_sample("P-1", w.people[:5], lab=w.lab)
    outcome = import_file(w, [["S-AN", "Dương tính", "20"], ["P-1", "Âm tính", ""], ["S-NONE", "Âm tính", ""]])
    assert not outcome.ok and [e[0] for e in outcome.record.errors] == [4]
    assert not Case.objects.exists() and not Message.objects.exists() and not TracingRun.objects.exists()
    assert not Sample.objects.filter(status=SampleStatus.RELEASED).exists()
    assert not Swab.objects.exclude(outcome=SwabOutcome.PENDING).exists()


def test_a_case_that_cannot_be_confirmed_undoes_the_whole_file(lab_world):
    w = lab_world
    w.make_sample("P-1", w.people[:5], lab=w.lab)
    w.make_sample("S-OLD", [w.an], lab=w.lab, collected_at=timezone.now() - timedelta(days=70))
    outcome = import_file(w, [["P-1", "Âm tính", ""], ["S-OLD", "Dương tính", "20"]])
    assert not outcome.ok
    (row, _column, code, message), = outcome.record.errors
    assert (row, code) == (3, "S-OLD") and "60 days" in message
    assert not Case.objects.exists() and not Message.objects.exists()
    assert not Sample.objects.filter(status=SampleStatus.RELEASED).exists()


def test_messages_are_sent_only_after_commit(lab_world, django_capture_on_commit_callbacks, monkeypatch):
    from lachan.notifications import services as notifications

    w = lab_world
    enqueued = []
    monkeypatch.setattr(notifications, "_enqueue_many", lambda ids: enqueued.extend(ids))
    w.make_sample("P-1", w.people[:4], lab=w.lab)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = import_file(w, [["P-1", "Âm tính", ""]])
        assert outcome.ok and enqueued == []  # stored in the outbox, not sent before the commit
    assert callbacks and len(enqueued) == 4
    # Work rolled back after the result queues nothing and keeps nothing.
    enqueued.clear()
    sample = w.make_sample("S-9", [w.people[9]], lab=w.lab)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            lab_results._lab_result_enter(sample=sample, result=Result.NEGATIVE, ct_value=None, tested_at=None,
                                          release=True, by=w.lab_user, now=None, trace=True)
            assert Message.objects.filter(person_id=w.people[9].pk).exists()
            raise RuntimeError("something later failed")
    assert enqueued == [] and not Message.objects.filter(person_id=w.people[9].pk).exists()
    sample.refresh_from_db()
    assert sample.status == SampleStatus.COLLECTED


def test_a_result_file_is_applied_in_its_own_transaction(lab_world):
    """Issue 13 (B.5): the import's writes are an entry point's (durable): inside another transaction it refuses
    (after the file's check, which writes nothing) instead of committing with a block it does not know of."""
    w = lab_world
    w.make_sample("P-2", w.people[:2], lab=w.lab)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        import_file(w, [["P-2", "Âm tính", ""]])


def test_correction_to_positive_confirms_the_case(lab_world):
    w = lab_world
    sample = w.make_sample("S-C", [w.an], lab=w.lab)
    lab_result_enter(sample=sample, result=Result.NEGATIVE, by=w.lab_user)
    assert not Case.objects.exists()
    outcome = lab_result_correct(sample=sample, result=Result.POSITIVE, ct_value=29.0, reason="Đọc nhầm giếng",
                                 by=w.lab_user)
    assert len(outcome.follow_up.confirmed) == 1 and Case.objects.get(person=w.an)
    assert Message.objects.filter(person_id=w.an.pk, template_code="labs.result_positive").exists()
    # Corrected back: the case stays for the epidemiologists to review; no second case on a later positive.
    lab_result_correct(sample=sample, result=Result.NEGATIVE, reason="Kiểm tra lại", by=w.lab_user)
    assert Case.objects.filter(person=w.an).count() == 1


def test_merged_person_positive_counts_for_the_person_kept(lab_world):
    w = lab_world
    twin = w.person("Nguyễn Văn An", phone="0912345678")
    sample = w.make_sample("S-TWIN", [twin], lab=w.lab)
    twin.merged_into = w.an
    twin.save(update_fields=["merged_into"])
    lab_result_enter(sample=sample, result=Result.POSITIVE, by=w.lab_user)
    assert Case.objects.get().person == w.an


def test_a_tube_taken_for_symptoms_makes_a_symptomatic_case(lab_world):
    """Issue 12 item 21: a case confirmed from a tube marked "with symptoms" was recorded without symptoms."""
    from lachan.labs.models import Swab

    w = lab_world
    sample = w.make_sample("S-SYM", [w.an], lab=w.lab, collected_at=hours_ago(30))
    Swab.objects.filter(sample=sample).update(reason="symptoms")
    lab_result_enter(sample=sample, result=Result.POSITIVE, ct_value=21.0, by=w.lab_user)
    case = Case.objects.get(person=w.an)
    day = timezone.localtime(sample.collected_at).date()
    assert not case.asymptomatic and case.onset_date == day == case.sample_date
    assert case.infectious_from == day - timedelta(days=2)
