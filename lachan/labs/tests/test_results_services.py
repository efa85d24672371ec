"""Results entered by hand: validation, one- and two-step release, swab outcomes, messages, corrections,
re-tests and the negatives the quarantine module counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lachan.labs import results
from lachan.labs.models import Result, ResultCorrection, Sample, SampleStatus, Swab, SwabOutcome, SwabReason
from lachan.labs.models import TestType as Kind
from lachan.labs.results.selectors import negative_results, result_sample_get, retest_swab_get, retests_due
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import hours_ago
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db


def codes(exc: ValidationFailed) -> set[str]:
    return {e.code for e in exc.errors}


def test_negative_individual_is_released_and_told(lab_world):
    w = lab_world
    sample = w.make_sample("S-1", [w.people[0]], lab=w.lab)
    sample, released = results.result_enter(sample=sample, result=Result.NEGATIVE, tested_at=hours_ago(1), by=w.lab_user)
    assert sample.status == SampleStatus.RELEASED and sample.released_by == w.lab_user and sample.released_at
    assert sample.received_at is not None  # tested implies received
    assert released.outcomes == {SwabOutcome.NEGATIVE: 1} and released.positives == []
    swab = sample.swabs.get()
    assert swab.outcome == SwabOutcome.NEGATIVE and swab.notified_at is not None
    message = Message.objects.get(person_id=w.people[0].pk)
    assert message.template_code == "labs.result_negative" and message.to == w.people[0].phone
    assert "S-1" in message.body and "/ket-qua/" in message.body
    assert timezone.localtime(sample.collected_at).strftime("%d/%m/%Y") in message.body
    assert AuditEvent.objects.filter(action="labs.result", person_id=w.people[0].pk).exists()


def test_pool_negative_everyone_negative_pool_positive_everyone_retest(lab_world):
    w = lab_world
    negative = w.make_sample("P-NEG", w.people[:5], lab=w.lab)
    positive = w.make_sample("P-POS", w.people[5:10], lab=w.lab)
    results.result_enter(sample=negative, result=Result.NEGATIVE, by=w.lab_user)
    _sample, released = results.result_enter(sample=positive, result=Result.POSITIVE, ct_value=28.5, by=w.lab_user)
    assert set(negative.swabs.values_list("outcome", flat=True)) == {SwabOutcome.NEGATIVE}
    assert set(positive.swabs.values_list("outcome", flat=True)) == {SwabOutcome.RETEST}
    assert released.positives == []  # a positive pool confirms nobody: each member is tested alone
    assert Message.objects.filter(template_code="labs.pool_retest").count() == 5
    assert Message.objects.filter(template_code="labs.result_negative").count() == 5


def test_individual_positive_is_listed_for_the_workflow(lab_world):
    w = lab_world
    sample = w.make_sample("S-POS", [w.an], lab=w.lab)
    _sample, released = results.result_enter(sample=sample, result=Result.POSITIVE, ct_value=19.0, by=w.lab_user)
    assert [p.person_id for p in released.positives] == [w.an.pk]
    assert sample.swabs.get().outcome == SwabOutcome.POSITIVE
    assert Message.objects.get(person_id=w.an.pk).template_code == "labs.result_positive"


def test_inconclusive_and_invalid_ask_for_a_new_swab(lab_world):
    w = lab_world
    one = w.make_sample("S-INC", [w.people[0]], lab=w.lab)
    two = w.make_sample("S-INV", [w.people[1]], lab=w.lab)
    results.result_enter(sample=one, result=Result.INCONCLUSIVE, by=w.lab_user)
    results.result_enter(sample=two, result=Result.INVALID, by=w.lab_user)
    assert {s.outcome for s in Swab.objects.filter(sample__in=[one, two])} == {SwabOutcome.INCONCLUSIVE}
    assert Message.objects.filter(template_code="labs.result_inconclusive").count() == 2


def test_no_message_without_a_mobile_number(lab_world):
    w = lab_world
    nobody = w.person("Không Điện Thoại", phone="")
    landline = w.person("Máy Bàn", phone="0273387000")
    sample = w.make_sample("P-NOPHONE", [nobody, landline], lab=w.lab)
    _sample, released = results.result_enter(sample=sample, result=Result.NEGATIVE, by=w.lab_user)
    assert released.notified == 0 and not Message.objects.exists()
    assert set(sample.swabs.values_list("outcome", flat=True)) == {SwabOutcome.NEGATIVE}


@pytest.mark.parametrize("ct, code", [(46.0, "labs_ct_out_of_range"), (-1.0, "labs_ct_out_of_range")])
def test_ct_out_of_range_refused(lab_world, ct, code):
    w = lab_world
    sample = w.make_sample("S-CT", [w.people[0]], lab=w.lab)
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=sample, result=Result.POSITIVE, ct_value=ct, by=w.lab_user)
    assert code in codes(err.value)
    assert "between 0 and 45" in str(err.value.errors[0].message)
    sample.refresh_from_db()
    assert sample.status == SampleStatus.COLLECTED and not sample.result and not Message.objects.exists()


def test_ct_on_a_rapid_test_refused(lab_world):
    w = lab_world
    sample = w.make_sample("S-RAPID", [w.people[0]], lab=w.lab, test_type=Kind.RAPID_ANTIGEN)
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=sample, result=Result.POSITIVE, ct_value=25.0, by=w.lab_user)
    assert codes(err.value) == {"labs_ct_not_allowed"}
    results.result_enter(sample=sample, result=Result.NEGATIVE, by=w.lab_user)  # without a Ct: fine


def test_dates_in_the_future_or_before_collection_refused(lab_world):
    w = lab_world
    sample = w.make_sample("S-DATE", [w.people[0]], lab=w.lab, collected_at=hours_ago(10))
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=sample, result=Result.NEGATIVE, tested_at=timezone.now() + timedelta(hours=2),
                             by=w.lab_user)
    assert codes(err.value) == {"labs_date_in_future"}
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=sample, result=Result.NEGATIVE, tested_at=hours_ago(11), by=w.lab_user)
    assert codes(err.value) == {"labs_date_before_collection"}
    # A lab clock a minute ahead is not the future.
    results.result_enter(sample=sample, result=Result.NEGATIVE, tested_at=timezone.now() + timedelta(minutes=1),
                         by=w.lab_user)


def test_unknown_result_rejected_and_uncollected_samples_refused(lab_world):
    w = lab_world
    sample = w.make_sample("S-WORD", [w.people[0]], lab=w.lab)
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=sample, result="maybe", by=w.lab_user)
    assert codes(err.value) == {"labs_result_invalid"}
    rejected = w.make_sample("S-REJ", [w.people[1]], lab=w.lab, status=SampleStatus.REJECTED)
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=rejected, result=Result.NEGATIVE, by=w.lab_user)
    assert codes(err.value) == {"labs_sample_rejected"}
    empty = w.make_sample("S-EMPTY", [], lab=w.lab)
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=empty, result=Result.NEGATIVE, by=w.lab_user)
    assert codes(err.value) == {"labs_not_collected"}


def test_unknown_sample_and_other_laboratory(lab_world):
    w = lab_world
    with pytest.raises(NotFound):
        result_sample_get(user=w.lab_user, code="NO-SUCH-CODE")
    theirs = w.make_sample("S-THEIRS", [w.people[0]], lab=w.other_lab)
    with pytest.raises(NotFound):  # not within this lab's reach
        result_sample_get(user=w.lab_user, code="s-theirs ")
    assert result_sample_get(user=w.other_lab_user, code="s-theirs") == theirs
    with pytest.raises(ValidationFailed) as err:  # and refused by the service too
        results.result_enter(sample=theirs, result=Result.NEGATIVE, by=w.lab_user)
    assert codes(err.value) == {"labs_other_laboratory"}
    unassigned = w.make_sample("S-NOLAB", [w.people[1]])
    with pytest.raises(NotFound):  # sent to no laboratory: received first (lachan.workflows test_lab_unreceived_tubes)
        result_sample_get(user=w.lab_user, code="S-NOLAB")
    with pytest.raises(ValidationFailed) as err:
        results.result_enter(sample=unassigned, result=Result.NEGATIVE, by=w.lab_user)
    assert codes(err.value) == {"labs_not_received"}


def test_commune_station_may_not_enter_results(lab_world):
    w = lab_world
    sample = w.make_sample("S-PERM", [w.people[0]], lab=w.lab)
    with pytest.raises(PermissionDenied):
        results.result_enter(sample=sample, result=Result.NEGATIVE, by=w.staff.commune)
    with pytest.raises(PermissionDenied):
        result_sample_get(user=w.staff.commune, code="S-PERM")


def test_two_step_release(lab_world):
    w = lab_world
    sample = w.make_sample("P-TWO", w.people[:3], lab=w.lab)
    sample, released = results.result_enter(sample=sample, result=Result.NEGATIVE, release=False, by=w.lab_user)
    assert released is None and sample.status == SampleStatus.TESTED and sample.released_at is None
    assert set(sample.swabs.values_list("outcome", flat=True)) == {SwabOutcome.PENDING}
    assert not Message.objects.exists()
    # Not released yet: the result may still be changed directly.
    sample, _r = results.result_enter(sample=sample, result=Result.POSITIVE, ct_value=30, release=False, by=w.lab_user)
    released = results.result_release(sample=sample, by=w.lab_user)
    sample.refresh_from_db()
    assert sample.status == SampleStatus.RELEASED and released.outcomes == {SwabOutcome.RETEST: 3}
    with pytest.raises(DomainError) as err:
        results.result_release(sample=sample, by=w.lab_user)
    assert err.value.code == "labs_already_released"
    untested = w.make_sample("S-UNTESTED", [w.people[4]], lab=w.lab)
    with pytest.raises(DomainError) as err:
        results.result_release(sample=untested, by=w.lab_user)
    assert err.value.code == "labs_not_tested"


def test_released_result_not_changed_silently_corrected_with_a_reason(lab_world):
    w = lab_world
    sample = w.make_sample("P-CORR", w.people[:2], lab=w.lab)
    results.result_enter(sample=sample, result=Result.POSITIVE, ct_value=33.0, by=w.lab_user)
    with pytest.raises(DomainError) as err:
        results.result_enter(sample=sample, result=Result.NEGATIVE, by=w.lab_user)
    assert err.value.code == "labs_already_released"
    with pytest.raises(ValidationFailed) as err:
        results.result_correct(sample=sample, result=Result.NEGATIVE, reason="   ", by=w.lab_user)
    assert codes(err.value) == {"labs_reason_required"}
    with pytest.raises(ValidationFailed) as err:
        results.result_correct(sample=sample, result=Result.POSITIVE, ct_value=33.0, reason="typo", by=w.lab_user)
    assert codes(err.value) == {"labs_correction_unchanged"}
    with pytest.raises(ValidationFailed) as err:
        results.result_correct(sample=sample, result=Result.NEGATIVE, reason="x" * 301, by=w.lab_user)
    assert codes(err.value) == {"labs_reason_required"}
    Message.objects.all().delete()
    sample, released = results.result_correct(sample=sample, result=Result.NEGATIVE, reason="Nhầm ống khi nhập",
                                              by=w.lab_user)
    assert sample.result == Result.NEGATIVE and sample.ct_value is None
    correction = ResultCorrection.objects.get(sample=sample)
    assert (correction.previous_result, correction.previous_ct, correction.result) == ("positive", 33.0, "negative")
    assert correction.reason == "Nhầm ống khi nhập" and correction.created_by == w.lab_user
    assert set(sample.swabs.values_list("outcome", flat=True)) == {SwabOutcome.NEGATIVE}
    assert Message.objects.filter(template_code="labs.result_negative").count() == 2
    event = AuditEvent.objects.get(action="labs.result_correct")
    assert event.detail["from"] == "positive" and event.detail["reason"] == "Nhầm ống khi nhập"


def test_correction_needs_a_released_result(lab_world):
    w = lab_world
    sample = w.make_sample("S-NOTREL", [w.people[0]], lab=w.lab)
    with pytest.raises(DomainError) as err:
        results.result_correct(sample=sample, result=Result.NEGATIVE, reason="x", by=w.lab_user)
    assert err.value.code == "labs_not_tested"


def test_parse_ct_as_labs_write_it():
    assert results.parse_ct("25,3") == 25.3
    assert results.parse_ct(" 30.1 ") == 30.1
    assert results.parse_ct(18) == 18.0
    for blank in ("", "-", "N/A", "Undetermined", None, "không xác định", "KXĐ", ">40", "Neg"):
        assert results.parse_ct(blank) is None
    for bad in ("abc", "nan", "inf", "1e999"):
        with pytest.raises(ValueError):
            results.parse_ct(bad)


# ---- re-tests ------------------------------------------------------------------------------------------------

def test_retest_list_per_commune_and_registering_the_retest(lab_world, make_user):
    from lachan.accounts.roles import Role

    w = lab_world
    pool = w.make_sample("P-RT", w.people[3:9], lab=w.lab, campaign=w.campaign)  # 3 in each of two communes
    results.result_enter(sample=pool, result=Result.POSITIVE, ct_value=30, by=w.lab_user)
    first = {s.person_id for s in retests_due(user=w.staff.commune)}
    assert first == {p.pk for p in w.people[3:6]}
    station2 = make_user(Role.COMMUNE_STATION, unit=w.units.commune2)
    assert {s.person_id for s in retests_due(user=station2)} == {p.pk for p in w.people[6:9]}
    assert not retests_due(user=w.staff.other_commune).exists()
    assert retests_due(user=w.staff.district).count() == 6
    assert retests_due(user=w.lab_user).count() == 6  # the lab sees its own samples' people
    assert retests_due(user=w.staff.district, commune=w.units.commune2).count() == 3
    assert retests_due(user=w.staff.district, query="P-RT").count() == 6

    swab = retest_swab_get(user=w.staff.commune, swab_id=pool.swabs.get(person=w.people[3]).pk)
    with pytest.raises(NotFound):  # a person of another commune
        retest_swab_get(user=w.staff.commune, swab_id=pool.swabs.get(person=w.people[7]).pk)
    with pytest.raises(DomainError) as err:
        results.retest_register(swab=swab, code="P-RT", by=w.staff.commune)
    assert err.value.code == "labs_sample_code_taken"
    with pytest.raises(DomainError) as err:
        results.retest_register(swab=swab, code="RT-1", collected_at=timezone.now() + timedelta(hours=1),
                                by=w.staff.commune)
    assert err.value.code == "labs_date_in_future"
    retest = results.retest_register(swab=swab, code=" rt-1 ", by=w.staff.commune)
    assert retest.code == "RT-1" and not retest.pooled and retest.status == SampleStatus.COLLECTED
    assert retest.campaign == w.campaign and retest.laboratory == w.lab
    new_swab = retest.swabs.get()
    assert new_swab.person == w.people[3] and new_swab.reason == SwabReason.POOL_RETEST and new_swab.retest_of == swab
    orphan = w.make_sample("P-ORPHAN", w.people[10:12], lab=w.lab)
    results.result_enter(sample=orphan, result=Result.POSITIVE, by=w.lab_user)
    with pytest.raises(DomainError) as err:  # no campaign to register the re-test in
        results.retest_register(swab=orphan.swabs.first(), code="RT-9", by=w.staff.district)
    assert err.value.code == "labs_campaign_not_found"
    assert w.people[3].pk not in {s.person_id for s in retests_due(user=w.staff.commune)}
    with pytest.raises(DomainError) as err:
        results.retest_register(swab=swab, code="RT-2", by=w.staff.commune)
    assert err.value.code == "labs_retest_not_due"
    # The re-test's own result follows as any individual result.
    _s, released = results.result_enter(sample=retest, result=Result.NEGATIVE, by=w.lab_user)
    assert released.outcomes == {SwabOutcome.NEGATIVE: 1}


def test_negative_results_for_the_quarantine_module(lab_world):
    w = lab_world
    a, b, c = w.people[0], w.people[1], w.people[2]
    old = w.make_sample("P-OLD", [a, b], lab=w.lab, collected_at=hours_ago(24 * 9))
    recent = w.make_sample("S-A2", [a], lab=w.lab, collected_at=hours_ago(24 * 2))
    positive = w.make_sample("S-C", [c], lab=w.lab, collected_at=hours_ago(24 * 2))
    pending = w.make_sample("S-B2", [b], lab=w.lab, collected_at=hours_ago(24))
    tested_only = w.make_sample("S-B3", [b], lab=w.lab, collected_at=hours_ago(12))
    for sample, result in ((old, Result.NEGATIVE), (recent, Result.NEGATIVE), (positive, Result.POSITIVE)):
        results.result_enter(sample=sample, result=result, by=w.lab_user)
    results.result_enter(sample=tested_only, result=Result.NEGATIVE, release=False, by=w.lab_user)
    assert pending.status == SampleStatus.COLLECTED

    found = negative_results([a.pk, b.pk, c.pk], since=hours_ago(24 * 10))
    assert [r.sample_code for r in found[a.pk]] == ["P-OLD", "S-A2"]  # oldest first; a pool counts for each
    assert [r.sample_code for r in found[b.pk]] == ["P-OLD"]  # not the pending or the unreleased one
    assert found[c.pk] == []
    assert found[a.pk][0].pooled and not found[a.pk][1].pooled
    assert found[a.pk][1].collected_at == Sample.objects.get(code="S-A2").collected_at
    assert found[a.pk][1].released_at is not None
    since = negative_results([a.pk, b.pk], since=hours_ago(24 * 5))
    assert [r.sample_code for r in since[a.pk]] == ["S-A2"] and since[b.pk] == []
    assert negative_results([], since=hours_ago(1)) == {}
