"""Results: entered by hand for one sample or applied from a lab file (lachan.labs.results.imports), released
in one step or two (tested, then released), corrected only explicitly with a reason.

A released sample's result becomes each swab's outcome and each person is notified
(lachan.labs.results.release). What follows beyond the laboratory (a positive person becomes a case and is
traced) is the workflow lachan.workflows.lab_results, which calls these services.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.text import fold

from ..access import require_perm, user_laboratory
from ..errors import LabErrorCode
from ..models import (
    RETEST_OUTCOMES,
    Laboratory,
    Result,
    ResultCorrection,
    Sample,
    SampleStatus,
    Swab,
    SwabOutcome,
    SwabReason,
    TestType,
)
from ..policy import lab_rules
from .release import Released, results_released

CLOCK_SKEW = timedelta(minutes=5)  # a lab machine's clock a little ahead is not "in the future"
REASON_MAX = 300


# ---- validation, shared by the form, the API and the file import ---------------------------------------

@dataclass(frozen=True)
class SampleFacts:
    """What a result is checked against (a Sample, or a row of the import's look-up)."""

    status: str
    test_type: str
    collected_at: datetime
    swabs: int
    laboratory_id: UUID | None


_NO_CT = {"", "n a", "na", "undetermined", "undet", "khong xac dinh", "kxd", "none", "neg", "negative", "am tinh"}


def parse_ct(raw) -> float | None:
    """A Ct value as labs write it ("25.3", "25,3", 25.3); blank, "-", "N/A", "KXĐ", "undetermined", ">40": none.
    ValueError when it is something else."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", ".")
        if text.startswith(">") or fold(text) in _NO_CT or text in ("-", "—"):
            return None  # ">40": nothing amplified within the cycles run
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def result_problems(facts: SampleFacts, *, result: str, ct_value: float | None, tested_at: datetime | None,
                    laboratory: Laboratory | None, rules: dict, latest: datetime) -> list[tuple[str, str, str]]:
    """(code, field, message) for everything wrong with this result for this sample; empty when it may be
    recorded. `latest`: now plus the clock skew allowed."""
    problems = []
    if facts.status == SampleStatus.REJECTED:
        problems.append((LabErrorCode.SAMPLE_REJECTED, "code", _("This sample was rejected by the laboratory; it has no result.")))
    elif facts.swabs == 0:
        problems.append((LabErrorCode.NOT_COLLECTED, "code", _("No swab was registered in this sample: it was never collected.")))
    problems.extend(laboratory_problems(facts.laboratory_id, laboratory))
    if result not in Result.values:
        problems.append((LabErrorCode.RESULT_INVALID, "result", _("Choose positive, negative, inconclusive or invalid.")))
    if ct_value is not None:
        if facts.test_type != TestType.RT_PCR:
            problems.append((LabErrorCode.CT_NOT_ALLOWED, "ct_value", _("A rapid antigen test has no Ct value.")))
        elif not rules["ct_min"] <= ct_value <= rules["ct_max"]:
            problems.append((LabErrorCode.CT_OUT_OF_RANGE, "ct_value",
                             _("The Ct value must be between %(min)s and %(max)s.")
                             % {"min": _number(rules["ct_min"]), "max": _number(rules["ct_max"])}))
    if tested_at is not None:
        if tested_at > latest:
            problems.append((LabErrorCode.DATE_IN_FUTURE, "tested_at", _("The test date is in the future.")))
        elif tested_at < facts.collected_at:
            problems.append((LabErrorCode.DATE_BEFORE_COLLECTION, "tested_at",
                             _("The test date is before the sample was collected (%(date)s).")
                             % {"date": timezone.localtime(facts.collected_at).strftime("%d/%m/%Y %H:%M")}))
    return problems


def laboratory_problems(sample_laboratory_id: UUID | None, laboratory: Laboratory | None) -> list[tuple[str, str, str]]:
    """A laboratory acts only on tubes it received or that were sent to it: a tube sent to none is received
    first (which makes it theirs). Tube codes are sequential, so "no laboratory yet" would be any tube of the
    province. `laboratory` None: not lab staff (the province), whose reach is their jurisdiction."""
    if laboratory is None or sample_laboratory_id == laboratory.pk:
        return []
    if sample_laboratory_id is None:
        return [(LabErrorCode.NOT_RECEIVED, "code",
                 _("This laboratory has not received this sample: scan it on the reception page first."))]
    return [(LabErrorCode.OTHER_LABORATORY, "code", _("This sample was sent to another laboratory."))]


def _number(value: float) -> str:
    return f"{value:g}"


def _raise(problems) -> None:
    if problems:
        raise ValidationFailed([DomainError(code, message, field=f) for code, f, message in problems])


def facts_of(sample: Sample) -> SampleFacts:
    return SampleFacts(status=sample.status, test_type=sample.test_type, collected_at=sample.collected_at,
                       swabs=sample.swabs.count(), laboratory_id=sample.laboratory_id)



def _released_of(sample: Sample) -> dict[UUID, tuple[str, bool, str, datetime]]:
    return {sample.pk: (sample.code, sample.pooled, sample.result, sample.collected_at)}


# ---- one sample by hand ------------------------------------------------------------------------------------

def _locked(sample: Sample) -> Sample:
    locked = Sample.objects.select_for_update().filter(pk=sample.pk).first()
    if locked is None:
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("Sample not found."), field="code")
    return locked


def _laboratory_for(sample: Sample, by) -> Laboratory | None:
    """The laboratory that tested it: the sample's, else the lab staff member's own."""
    if sample.laboratory_id:
        return sample.laboratory
    return user_laboratory(by)


@transaction.atomic
def result_enter(*, sample: Sample, result: str, ct_value: float | None = None, tested_at: datetime | None = None,
                 release: bool = True, by, now: datetime | None = None) -> tuple[Sample, Released | None]:
    """Record a sample's result (status tested) and, with `release`, release it at once. A released
    result is not changed here: see result_correct."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status == SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.ALREADY_RELEASED,
                          _("This result was already released; to change it, enter a correction with its reason."),
                          field="result")
    own_lab = user_laboratory(by)
    tested_at = tested_at or now
    _raise(result_problems(facts_of(sample), result=result, ct_value=ct_value, tested_at=tested_at,
                           laboratory=own_lab, rules=lab_rules(timezone.localdate(now)), latest=now + CLOCK_SKEW))
    sample.laboratory = sample.laboratory or own_lab
    sample.status, sample.result, sample.ct_value, sample.tested_at = SampleStatus.TESTED, result, ct_value, tested_at
    if sample.received_at is None:
        sample.received_at, sample.received_by = tested_at, by if getattr(by, "is_authenticated", False) else None
    sample.changed_by = by if getattr(by, "is_authenticated", False) else None
    sample.save(update_fields=["laboratory", "status", "result", "ct_value", "tested_at", "received_at", "received_by",
                               "changed_by", "changed_at"])
    audit_record(actor=by, action="labs.result_enter", object_type="sample", object_id=sample.pk,
                 detail={"code": sample.code, "result": result, "ct": ct_value})
    released = _release(sample, by=by, now=now) if release else None
    return sample, released


def _release(sample: Sample, *, by, now: datetime) -> Released:
    sample.status, sample.released_at = SampleStatus.RELEASED, now
    sample.released_by = by if getattr(by, "is_authenticated", False) else None
    sample.save(update_fields=["status", "released_at", "released_by", "changed_at"])
    return results_released(samples=_released_of(sample), by=by, now=now, detail={"sample": sample.code})


@transaction.atomic
def result_release(*, sample: Sample, by, now: datetime | None = None) -> Released:
    """Release a result recorded as tested (the second step of a two-step release)."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status == SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.ALREADY_RELEASED, _("This result was already released."), field="result")
    _raise(laboratory_problems(sample.laboratory_id, user_laboratory(by)))
    if sample.status != SampleStatus.TESTED or not sample.result:
        raise DomainError(LabErrorCode.NOT_TESTED, _("Enter the result before releasing it."), field="result")
    return _release(sample, by=by, now=now)


@transaction.atomic
def result_correct(*, sample: Sample, result: str, ct_value: float | None = None, reason: str, by,
                   now: datetime | None = None) -> tuple[Sample, Released]:
    """Change a released result: an explicit act with its reason, kept (ResultCorrection) and audited; the
    people in the sample are told their new result."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    sample = _locked(sample)
    if sample.status != SampleStatus.RELEASED:
        raise DomainError(LabErrorCode.NOT_TESTED, _("Only a released result is corrected; change it directly."),
                          field="result")
    reason = " ".join(str(reason or "").split())
    problems = result_problems(facts_of(sample), result=result, ct_value=ct_value, tested_at=None,
                               laboratory=user_laboratory(by), rules=lab_rules(timezone.localdate(now)),
                               latest=now + CLOCK_SKEW)
    if not reason:
        problems.append((LabErrorCode.REASON_REQUIRED, "reason", _("Give the reason for the correction.")))
    elif len(reason) > REASON_MAX:
        problems.append((LabErrorCode.REASON_REQUIRED, "reason", _("At most %(n)d characters.") % {"n": REASON_MAX}))
    if not problems and result == sample.result and ct_value == sample.ct_value:
        problems.append((LabErrorCode.CORRECTION_UNCHANGED, "result", _("This is the result already released.")))
    _raise(problems)
    actor = by if getattr(by, "is_authenticated", False) else None
    ResultCorrection.objects.create(sample=sample, previous_result=sample.result, previous_ct=sample.ct_value,
                                    result=result, ct_value=ct_value, reason=reason, created_by=actor, changed_by=actor)
    audit_record(actor=by, action="labs.result_correct", object_type="sample", object_id=sample.pk,
                 detail={"code": sample.code, "from": sample.result, "to": result, "ct_from": sample.ct_value,
                         "ct_to": ct_value, "reason": reason})
    sample.result, sample.ct_value, sample.changed_by = result, ct_value, actor
    sample.save(update_fields=["result", "ct_value", "changed_by", "changed_at"])
    # Swabs already re-tested keep that mark; the outcomes themselves follow the corrected result.
    released = results_released(samples=_released_of(sample), by=by, now=now,
                                detail={"sample": sample.code, "correction": True}, corrected=True)
    return sample, released


# ---- an individual re-test after a positive pool or an unclear result --------------------------------------

@transaction.atomic(durable=True)
def retest_register(*, swab: Swab, code: str = "", generate_code: bool = False, collected_at: datetime | None = None,
                    by) -> Sample:
    """The individual sample of a person whose pool was positive (or whose result was unclear), registered
    as any sample of the campaign (lachan.labs.sampling.registering.sample_register links it to the swab it
    re-tests, which leaves the commune's re-test list)."""
    from ..sampling.registering import SwabIn, sample_register

    require_perm(by, Perm.LABS_SAMPLE)
    swab = Swab.objects.select_for_update().select_related("sample").filter(pk=swab.pk).first()
    if swab is None:
        raise NotFound(LabErrorCode.SWAB_NOT_FOUND, _("Swab not found."))
    if swab.outcome not in RETEST_OUTCOMES or swab.retest_done:
        raise DomainError(LabErrorCode.RETEST_NOT_DUE, _("No re-test is due for this person."), field="code")
    first = swab.sample
    if first.campaign_id is None:
        raise DomainError(LabErrorCode.CAMPAIGN_NOT_FOUND, _("This sample belongs to no campaign; register the "
                                                             "re-test in a campaign."), field="code")
    reason = SwabReason.POOL_RETEST if swab.outcome == SwabOutcome.RETEST else swab.reason
    return sample_register(campaign=first.campaign, site=first.site, code=code, generate_code=generate_code,
                           swabs=[SwabIn(person=swab.person_id, reason=reason)], pooled=False, reason=reason,
                           collected_at=collected_at, by=by)
