"""Registering samples: one person's swab or a pool, in a campaign's current round, sent to its laboratory —
the people found from what a sampling team types or scans (an id, a CCCD, a phone number), checked against the
labs policy (pool sizes), other pools of the round and the re-tests they are waiting for; and the tube codes
handed out for them (generated at registration, or reserved for blank pre-printed labels)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.numbers import is_ascii_digits
from lachan.core.parsers import uuid_or_none
from lachan.core.phones import phone_looks_like
from lachan.people.access import people_in_scope
from lachan.people.identity import phone_normalize
from lachan.people.models import Person

from ..access import campaign_scope_q, require_perm
from ..errors import LabErrorCode
from ..models import (
    Campaign,
    Sample,
    SampleCodeCounter,
    SampleStatus,
    SamplingSite,
    Swab,
    SwabOutcome,
    SwabReason,
)
from ..policy import lab_rules
from ..signals import sample_registered
from .services import FUTURE_SLACK, _campaign_locked, _sane_time, code_check, code_normalize

MAX_RESERVE = 500  # blank labels printed at once

# ---- tube codes -------------------------------------------------------------------------------------

def code_prefix(on: date | None = None) -> str:
    """"82-211122-": the province, the day (yymmdd); six digits follow."""
    on = on or timezone.localdate()
    return f"{settings.LACHAN_PROVINCE_CODE}-{on:%y%m%d}-"


def sample_codes_generate(*, count: int = 1, on: date | None = None) -> list[str]:
    """New unique readable codes ("82-211122-000123"), never handed out before and not typed on a tube."""
    prefix = code_prefix(on)
    codes: list[str] = []
    with transaction.atomic():
        counter = SampleCodeCounter.objects.select_for_update().filter(prefix=prefix).first()
        if counter is None:
            try:
                with transaction.atomic():
                    SampleCodeCounter.objects.create(prefix=prefix)
            except IntegrityError:  # created at the same moment by another request
                pass
            counter = SampleCodeCounter.objects.select_for_update().get(prefix=prefix)
        number = counter.last
        while len(codes) < count:
            wanted = count - len(codes)
            batch = [f"{prefix}{n:06d}" for n in range(number + 1, number + wanted + 1)]
            number += wanted
            used = set(Sample.objects.filter(code__in=batch).values_list("code", flat=True))
            codes.extend(c for c in batch if c not in used)
        counter.last = number
        counter.save(update_fields=["last"])
    return codes


@transaction.atomic(durable=True)
def codes_reserve(*, campaign: Campaign, site: SamplingSite | None = None, count: int, by) -> list[str]:
    """Codes for blank pre-printed labels: numbers taken from the counter, so no generated code repeats them."""
    require_perm(by, Perm.LABS_SAMPLE)
    current = _campaign_locked(campaign, by, manage=False)
    if site is not None and site.campaign_id != current.pk:
        raise NotFound(LabErrorCode.SITE_NOT_FOUND, _("Unknown sampling site."), field="site")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_RESERVE:
        raise DomainError(LabErrorCode.SAMPLE_CODE_INVALID,
                          _("Print from 1 to %(n)d labels at once.") % {"n": MAX_RESERVE}, field="count")
    codes = sample_codes_generate(count=count)
    audit_record(actor=by, action="sample.codes_reserve", object_type="campaign", object_id=current.pk,
                 detail={"site": str(site.pk) if site else "", "count": count, "first": codes[0], "last": codes[-1]})
    return codes


# ---- registering samples ----------------------------------------------------------------------------

@dataclass
class SwabIn:
    """One person swabbed: a Person, their id, a CCCD or a phone number; a reason (else the sample's)."""

    person: Any
    reason: str = ""


@dataclass
class SampleIn:
    campaign: Any
    swabs: Sequence[Any]
    site: Any = None
    code: str = ""
    generate_code: bool = False
    pooled: bool | None = None
    reason: str = SwabReason.SCREENING
    collected_at: datetime | None = None


def person_label(value) -> str:
    if isinstance(value, Person):
        return value.full_name
    return str(value or "")[:40]


def people_resolve(values: Sequence[Any], *, by) -> list[Person | DomainError]:
    """Each value as a person of the actor's jurisdiction: a Person, an id, a 12-digit CCCD or a phone
    number (one person only: a phone shared by a household must be picked by name)."""
    visible = people_in_scope(by).select_related("commune")
    ids, national_ids, phones = set(), set(), set()
    keys: list[tuple[str, Any]] = []
    for value in values:
        if isinstance(value, Person):
            ids.add(value.pk)
            keys.append(("id", value.pk))
            continue
        raw = str(value or "").strip()
        if not raw:
            keys.append(("missing", ""))
            continue
        pk = uuid_or_none(raw) if len(raw) >= 32 else None
        compact = re.sub(r"[\s.\-]", "", raw)
        if pk is not None:
            ids.add(pk)
            keys.append(("id", pk))
        elif is_ascii_digits(compact) and len(compact) == 12:
            national_ids.add(compact)
            keys.append(("national_id", compact))
        elif phone_looks_like(raw):
            try:
                phone = phone_normalize(raw)
            except DomainError:
                keys.append(("bad", raw))
                continue
            phones.add(phone)
            keys.append(("phone", phone))
        else:
            keys.append(("bad", raw))
    by_id = {p.pk: p for p in visible.filter(pk__in=ids)} if ids else {}
    by_nid: dict[str, list[Person]] = {}
    for p in visible.filter(national_id__in=national_ids) if national_ids else []:
        by_nid.setdefault(p.national_id, []).append(p)
    by_phone: dict[str, list[Person]] = {}
    for p in visible.filter(phone__in=phones) if phones else []:
        by_phone.setdefault(p.phone, []).append(p)
    out: list[Person | DomainError] = []
    for kind, key in keys:
        found = [by_id[key]] if kind == "id" and key in by_id else (
            by_nid.get(key, []) if kind == "national_id" else by_phone.get(key, []) if kind == "phone" else [])
        if kind == "missing":
            out.append(DomainError(LabErrorCode.PERSON_NOT_FOUND,
                                   _("Give the person: their id, CCCD or phone number."), field="swabs"))
        elif len(found) == 1:
            out.append(found[0])
        elif len(found) > 1:
            out.append(DomainError(LabErrorCode.PERSON_NOT_FOUND,
                                   _("%(key)s belongs to %(n)d people: pick the person by name.")
                                   % {"key": key, "n": len(found)}, field="swabs"))
        else:
            message = (_("No person %(key)s in your jurisdiction.") % {"key": key} if kind != "id"
                       else _("This person is not in your jurisdiction."))
            out.append(NotFound(LabErrorCode.PERSON_NOT_FOUND, message, field="swabs"))
    return out


def _campaign_for_sampling(value, by) -> Campaign:
    if isinstance(value, Campaign):
        pk = value.pk
    else:
        pk = uuid_or_none(value)
    campaign = (Campaign.objects.select_related("unit", "laboratory__place").filter(campaign_scope_q(by), pk=pk).first()
                if pk else None)
    if campaign is None:
        raise NotFound(LabErrorCode.CAMPAIGN_NOT_FOUND, _("Unknown sampling campaign."), field="campaign")
    return campaign


def _site_for_sampling(value, campaign: Campaign) -> SamplingSite | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, SamplingSite) else uuid_or_none(value)
    site = SamplingSite.objects.select_related("commune").filter(pk=pk, campaign=campaign).first() if pk else None
    if site is None:
        raise NotFound(LabErrorCode.SITE_NOT_FOUND, _("Unknown sampling site for this campaign."), field="site")
    return site


def _retests_pending(person_ids: list[UUID], *, pooled: bool) -> dict[UUID, Swab]:
    """Each person's latest swab waiting to be taken again: a rejected tube or an unclear result, and
    for an individual sample also a positive pool (the re-test it asks for)."""
    outcomes = [SwabOutcome.REJECTED, SwabOutcome.INCONCLUSIVE] + ([] if pooled else [SwabOutcome.RETEST])
    pending: dict[UUID, Swab] = {}
    for swab in (Swab.objects.select_for_update().filter(person_id__in=person_ids, outcome__in=outcomes,
                                                         retest_done=False).order_by("created_at")):
        pending[swab.person_id] = swab
    return pending


def sample_register(*, campaign, swabs: Sequence[Any], site=None, code: str = "", generate_code: bool = False,
                    pooled: bool | None = None, reason: str = SwabReason.SCREENING,
                    collected_at: datetime | None = None, by) -> Sample:
    """Register one tube: an individual sample (one swab) or a pool (min..max swabs of the labs policy),
    in the campaign's current round, sent to the campaign's laboratory. All or nothing; every problem is
    reported at once (ValidationFailed) with the field it concerns.

    `swabs`: SwabIn or bare person values (Person, id, CCCD, phone). `pooled` defaults to "more than one swab".
    An individual sample of someone whose pool was positive is their re-test (linked to the pooled swab)."""
    require_perm(by, Perm.LABS_SAMPLE)
    with transaction.atomic():
        return _sample_register(campaign=campaign, swabs=swabs, site=site, code=code, generate_code=generate_code,
                                pooled=pooled, reason=reason, collected_at=collected_at, by=by)


def _sample_register(*, campaign, swabs, site, code, generate_code, pooled, reason, collected_at, by) -> Sample:
    campaign = _campaign_for_sampling(campaign, by)
    site = _site_for_sampling(site, campaign)
    now = timezone.now()
    items = [s if isinstance(s, SwabIn) else SwabIn(person=s) for s in swabs or []]
    pooled = len(items) > 1 if pooled is None else bool(pooled)
    errors, facts = _registration_check(campaign=campaign, items=items, code=code, generate_code=generate_code,
                                        pooled=pooled, reason=reason, collected_at=collected_at or now, now=now)
    people, pending = _registration_people(campaign=campaign, items=items, pooled=pooled, reason=facts.reason,
                                           errors=errors, by=by)
    person_ids = [p.pk for p in people if isinstance(p, Person)]
    if facts.existing is not None and _same_sample(facts.existing, campaign, person_ids, len(items)):
        facts.existing.created = False  # a retry of a sample already registered (a scanner app resending)
        return facts.existing
    if errors:
        raise ValidationFailed(errors)
    facts.code = facts.code or sample_codes_generate(count=1, on=timezone.localdate(facts.collected_at))[0]
    sample, rows = _registration_write(campaign=campaign, site=site, items=items, people=people, pending=pending,
                                       pooled=pooled, facts=facts, now=now, by=by)
    sample_registered.send(sender=Sample, sample=sample, swabs=rows)  # other domains' follow-ups
    audit_record_many(actor=by, action="sample.register", object_type="person", person_ids=person_ids,
                      detail={"sample": str(sample.pk), "code": facts.code, "pooled": pooled})
    sample.created = True
    return sample


@dataclass
class _Registration:
    """What the checks settled: the collection time, the tube code (blank: one is generated), the tube already
    registered under that code, and the sample's reason."""

    collected_at: datetime
    code: str
    existing: Sample | None
    reason: str


def _registration_check(*, campaign, items: list[SwabIn], code, generate_code, pooled: bool, reason,
                        collected_at, now: datetime) -> tuple[list[DomainError], _Registration]:
    """The tube's own problems, in the order they are reported: the time, the code, the reason, the pool size."""
    errors: list[DomainError] = []
    collected_at = _collection_time_check(campaign, collected_at, now=now, errors=errors)
    code, existing = _code_check(code, generate_code=generate_code, errors=errors)
    if reason not in SwabReason.values:
        errors.append(DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Unknown reason for the test."), field="reason"))
        reason = SwabReason.SCREENING
    rules = lab_rules(timezone.localdate(collected_at))
    if not items:
        errors.append(DomainError(LabErrorCode.PERSON_NOT_FOUND, _("Add the person swabbed."), field="swabs"))
    elif pooled and len(items) < rules["min_pool_size"]:
        errors.append(DomainError(LabErrorCode.POOL_TOO_SMALL,
                                  _("A pool needs at least %(min)d people; it has %(n)d.")
                                  % {"min": rules["min_pool_size"], "n": len(items)}, field="swabs"))
    elif pooled and len(items) > rules["max_pool_size"]:
        errors.append(DomainError(LabErrorCode.POOL_TOO_LARGE,
                                  _("A pool holds at most %(max)d people; it has %(n)d.")
                                  % {"max": rules["max_pool_size"], "n": len(items)}, field="swabs"))
    elif not pooled and len(items) > 1:
        errors.append(DomainError(LabErrorCode.POOL_TOO_LARGE,
                                  _("An individual sample is one person's; it has %(n)d.") % {"n": len(items)},
                                  field="swabs"))
    return errors, _Registration(collected_at=collected_at, code=code, existing=existing, reason=reason)


def _collection_time_check(campaign: Campaign, collected_at, *, now: datetime, errors: list[DomainError]) -> datetime:
    """The collection time, or now when it is not a time at all (the error is reported)."""
    try:
        collected_at = _sane_time(collected_at, field="collected_at")
    except DomainError as exc:
        errors.append(exc)
        collected_at = now
    if collected_at > now + FUTURE_SLACK:
        errors.append(DomainError(LabErrorCode.DATE_IN_FUTURE, _("The collection time is in the future."),
                                  field="collected_at"))
    elif timezone.localdate(collected_at) < campaign.starts_on:
        errors.append(DomainError(LabErrorCode.DATE_INVALID,
                                  _("The campaign starts on %(date)s, after this collection time.")
                                  % {"date": campaign.starts_on.strftime("%d/%m/%Y")}, field="collected_at"))
    elif campaign.ends_on and timezone.localdate(collected_at) > campaign.ends_on:
        errors.append(DomainError(LabErrorCode.DATE_INVALID,
                                  _("The campaign ended on %(date)s.") % {"date": campaign.ends_on.strftime("%d/%m/%Y")},
                                  field="collected_at"))
    return collected_at


def _code_check(code, *, generate_code, errors: list[DomainError]) -> tuple[str, Sample | None]:
    """(the tube code, blank when one is to be generated; the tube already registered under it)."""
    if generate_code and not code_normalize(code):
        return "", None
    existing = None
    try:
        if not code_normalize(code):
            raise DomainError(LabErrorCode.SAMPLE_CODE_INVALID,
                              _("Scan or type the tube code, or ask for a new code."), field="code")
        code = code_check(code)
        existing = Sample.objects.filter(code=code).first()
        if existing is not None:
            raise DomainError(LabErrorCode.SAMPLE_CODE_TAKEN,
                              _("The tube code %(code)s is already used.") % {"code": code}, field="code",
                              sample_code=code)
    except DomainError as exc:
        errors.append(exc)
    return code, existing


def _registration_people(*, campaign: Campaign, items: list[SwabIn], pooled: bool, reason: str,
                         errors: list[DomainError], by) -> tuple[list[Person | DomainError], dict[UUID, Swab]]:
    """The people swabbed, each found once in the actor's jurisdiction, in no other pool of the round; and the
    swabs they are re-tested for (rejected, unclear, or a positive pool for an individual sample)."""
    people = people_resolve([i.person for i in items], by=by)
    seen: dict[UUID, int] = {}
    for n, (item, person) in enumerate(zip(items, people, strict=True), start=1):
        if isinstance(person, DomainError):
            person.params["position"] = n
            errors.append(person)
            continue
        if person.pk in seen:
            errors.append(DomainError(LabErrorCode.PERSON_TWICE,
                                      _("%(name)s is twice in this pool (lines %(a)d and %(b)d).")
                                      % {"name": person.full_name, "a": seen[person.pk], "b": n},
                                      field="swabs", position=n))
        seen.setdefault(person.pk, n)
        item_reason = item.reason or reason
        if item_reason not in SwabReason.values:
            errors.append(DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Unknown reason for the test."),
                                      field="reason", position=n))
        elif item_reason == SwabReason.POOL_RETEST and pooled:
            errors.append(DomainError(LabErrorCode.CAMPAIGN_INVALID,
                                      _("A re-test after a positive pool is an individual sample."),
                                      field="reason", position=n))
    person_ids = [p.pk for p in people if isinstance(p, Person)]
    if pooled and person_ids:
        others = (Swab.objects.filter(campaign=campaign, round=campaign.current_round, pooled=True,
                                      person_id__in=person_ids)
                  .exclude(outcome__in=[SwabOutcome.REJECTED, SwabOutcome.INCONCLUSIVE])
                  .select_related("sample", "person"))
        for other in others:
            errors.append(DomainError(
                LabErrorCode.PERSON_IN_OTHER_POOL,
                _("%(name)s is already in pool %(code)s of round %(round)d.")
                % {"name": other.person.full_name, "code": other.sample.code, "round": campaign.current_round},
                field="swabs", sample_code=other.sample.code))
    pending = _retests_pending(person_ids, pooled=pooled) if person_ids else {}
    if not pooled:
        for item, person in zip(items, people, strict=True):
            if (isinstance(person, Person) and (item.reason or reason) == SwabReason.POOL_RETEST
                    and getattr(pending.get(person.pk), "outcome", "") != SwabOutcome.RETEST):
                errors.append(DomainError(LabErrorCode.CAMPAIGN_INVALID,
                                          _("%(name)s has no positive pool waiting for a re-test.")
                                          % {"name": person.full_name}, field="reason"))
    return people, pending


def _registration_write(*, campaign: Campaign, site, items: list[SwabIn], people: list[Person],
                        pending: dict[UUID, Swab], pooled: bool, facts: _Registration, now: datetime,
                        by) -> tuple[Sample, list[Swab]]:
    """The Sample and its Swab rows (a re-test linked to the swab it repeats, which is then done); a code or a
    pool taken by another desk at the same moment is refused like any taken code or pool."""
    try:
        with transaction.atomic():
            sample = Sample.objects.create(
                code=facts.code, pooled=pooled, test_type=campaign.test_type, campaign=campaign, site=site,
                round=campaign.current_round, laboratory=campaign.laboratory, status=SampleStatus.COLLECTED,
                collected_at=facts.collected_at, collected_by=as_user(by), created_by=as_user(by),
                changed_by=as_user(by),
            )
            rows = []
            for n, (item, person) in enumerate(zip(items, people, strict=True), start=1):
                retest = pending.get(person.pk)
                item_reason = item.reason or facts.reason
                if retest is not None and retest.outcome == SwabOutcome.RETEST and item_reason == SwabReason.SCREENING:
                    item_reason = SwabReason.POOL_RETEST
                rows.append(Swab(sample=sample, person=person, campaign=campaign, round=campaign.current_round,
                                 pooled=pooled, position=n, reason=item_reason, retest_of=retest,
                                 created_by=as_user(by), changed_by=as_user(by)))
            Swab.objects.bulk_create(rows)
            if pending:
                Swab.objects.filter(pk__in=[s.pk for s in pending.values()]).update(retest_done=True, retest_due=False,
                                                                                 changed_at=now)
    except IntegrityError:
        # Another desk took the code or put one of these people in a pool at the same moment.
        if Sample.objects.filter(code=facts.code).exists():
            raise DomainError(LabErrorCode.SAMPLE_CODE_TAKEN, _("The tube code %(code)s is already used.")
                              % {"code": facts.code}, field="code") from None
        raise DomainError(LabErrorCode.PERSON_IN_OTHER_POOL,
                          _("Someone in this pool was just put in another pool of this round."),
                          field="swabs") from None
    return sample, rows


def _same_sample(existing: Sample, campaign: Campaign, person_ids: list[UUID], count: int) -> bool:
    """Whether a tube already registered holds exactly these people for this campaign."""
    return (existing.campaign_id == campaign.pk and len(person_ids) == count
            and sorted(existing.swabs.values_list("person_id", flat=True)) == sorted(person_ids))


def samples_register_many(*, items: Sequence[SampleIn], by) -> list[Sample | DomainError]:
    """Many samples as a scanner app sends them, each registered or refused on its own (all or nothing
    for each sample), answered in order."""
    require_perm(by, Perm.LABS_SAMPLE)
    results: list[Sample | DomainError] = []
    for item in items:
        try:
            with transaction.atomic():
                results.append(_sample_register(
                    campaign=item.campaign, swabs=item.swabs, site=item.site, code=item.code,
                    generate_code=item.generate_code, pooled=item.pooled, reason=item.reason,
                    collected_at=item.collected_at, by=by))
        except DomainError as exc:
            results.append(exc)
    return results
