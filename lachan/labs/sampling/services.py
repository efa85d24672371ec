"""Writes for sampling: campaigns and their sites, tube codes checked, and the laboratory's side until a
result: receiving tubes and rejecting unusable ones. Registering samples (one person's swab or a pool) and the
codes handed out for them is lachan.labs.sampling.registering; results are written by lachan.labs.results."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import as_user, is_system
from lachan.accounts.audit import audit_record, audit_record_many
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.core.parsers import text_field, uuid_or_none
from lachan.core.updates import model_update
from lachan.geo.models import AdminLevel, AdminUnit, Place

from ..access import (
    campaign_managed_by,
    campaign_scope_q,
    commune_in_jurisdiction,
    require_perm,
    sample_scope_q,
    user_laboratory,
)
from ..errors import LabErrorCode
from ..models import (
    Campaign,
    CampaignKind,
    Laboratory,
    Sample,
    SampleStatus,
    SamplingSite,
    Swab,
    SwabOutcome,
    TestType,
)
from ..policy import lab_rules

CAMPAIGN_FIELDS = ("name", "kind", "unit", "starts_on", "ends_on", "test_type", "pool_size", "laboratory", "notes")
SITE_FIELDS = ("name", "commune", "address", "place")
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._/-]{3,39}")
MAX_RECEIVE = 500  # codes received at once
FUTURE_SLACK = timedelta(minutes=5)  # a phone's clock a little ahead is not "in the future"
_SEPARATORS = re.compile(r"[\s,;]+")


# ---- small parsers ---------------------------------------------------------------------------------

def _not_future(value: datetime | date | None, *, field: str, message: str = "") -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        too_late = value > timezone.now() + FUTURE_SLACK
    else:
        too_late = value > timezone.localdate()
    if too_late:
        raise DomainError(LabErrorCode.DATE_IN_FUTURE, message or _("This date is in the future."), field=field)


def _sane_time(value: datetime, *, field: str) -> datetime:
    """An aware time within this century (a year 1 or 9999 from a bad client overflows time zones)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value) if 2000 <= value.year <= 2100 else value.replace(tzinfo=UTC)
    if not 2000 <= value.year <= 2100:
        raise DomainError(LabErrorCode.DATE_INVALID, _("Enter a valid date and time."), field=field)
    return value


def code_normalize(raw) -> str:
    """A tube code as stored: trimmed and upper-cased (scanners and hands disagree on case)."""
    return str(raw or "").strip().upper()


def code_check(raw, *, field: str = "code") -> str:
    code = code_normalize(raw)
    if not CODE_PATTERN.fullmatch(code):
        raise DomainError(
            LabErrorCode.SAMPLE_CODE_INVALID,
            _("%(code)s is not a tube code: 4 to 40 letters, digits, dots, dashes or slashes.")
            % {"code": code or '""'}, field=field, sample_code=code[:40])
    return code


def parse_codes(codes: str | Iterable[str]) -> list[str]:
    """Codes typed, scanned or pasted: separated by spaces, commas, semicolons or lines; each once."""
    parts = [codes] if isinstance(codes, str) else list(codes or [])
    seen: dict[str, None] = {}
    for part in parts:
        for code in _SEPARATORS.split(str(part or "")):
            if code:
                seen.setdefault(code_normalize(code), None)
    return list(seen)


# ---- campaigns and sites ---------------------------------------------------------------------------

def _unit(value) -> AdminUnit | None:
    """A unit of the deployment's tree: the unit, its pk or its official code."""
    if isinstance(value, AdminUnit):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        lookup = {"pk": value} if isinstance(value, int) else {"code": value.strip()}
        return AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE, **lookup).first()
    return None


def _within(unit: AdminUnit, area: AdminUnit) -> bool:
    return unit.path == area.path or unit.path.startswith(area.path + "/")


def _campaign_unit(value, *, by) -> AdminUnit:
    unit = _unit(value)
    if unit is None:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Choose the area of the campaign."), field="unit")
    if not commune_in_jurisdiction(by, unit):
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("%(unit)s is outside your jurisdiction.") % {"unit": unit.label}, field="unit")
    return unit


def _laboratory(value) -> Laboratory | None:
    if value in (None, ""):
        return None
    if isinstance(value, Laboratory):
        return value
    pk = uuid_or_none(value)
    lab = Laboratory.objects.select_related("place").filter(pk=pk, place__is_active=True).first() if pk else None
    if lab is None:
        raise NotFound(LabErrorCode.LAB_NOT_FOUND, _("Unknown laboratory."), field="laboratory")
    return lab


def _pool_size(value, *, on: date) -> int:
    rules = lab_rules(on)
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if size != 1 and not rules["min_pool_size"] <= size <= rules["max_pool_size"]:
        raise DomainError(
            LabErrorCode.CAMPAIGN_INVALID,
            _("The pool size is 1 (individual samples) or from %(min)d to %(max)d (the policy in force).")
            % {"min": rules["min_pool_size"], "max": rules["max_pool_size"]}, field="pool_size")
    return size


def _campaign_clean(data: dict[str, Any], *, by, current: Campaign | None = None) -> dict[str, Any]:
    """The given fields checked; dates against each other (with the current values for an update)."""
    cleaned: dict[str, Any] = {}
    if "name" in data:
        cleaned["name"] = text_field(data["name"], code=LabErrorCode.CAMPAIGN_INVALID, field="name", limit=200,
                                required_message=_("A campaign needs a name."))
    if "kind" in data:
        if data["kind"] not in CampaignKind.values:
            raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Unknown kind of campaign."), field="kind")
        cleaned["kind"] = data["kind"]
    if "unit" in data:
        cleaned["unit"] = _campaign_unit(data["unit"], by=by)
    if "test_type" in data:
        if data["test_type"] not in TestType.values:
            raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Unknown test."), field="test_type")
        cleaned["test_type"] = data["test_type"]
    for name in ("starts_on", "ends_on"):
        if name in data:
            value = data[name]
            if value is not None and not isinstance(value, date):
                raise DomainError(LabErrorCode.DATE_INVALID, _("Enter a valid date."), field=name)
            cleaned[name] = value
    if "starts_on" in cleaned and cleaned["starts_on"] is None:
        raise DomainError(LabErrorCode.DATE_INVALID, _("Enter the first day of the campaign."), field="starts_on")
    starts_on = cleaned.get("starts_on", current.starts_on if current else None)
    ends_on = cleaned.get("ends_on", current.ends_on if current else None)
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(LabErrorCode.DATE_INVALID, _("The campaign ends before it starts."), field="ends_on")
    if "pool_size" in data:
        cleaned["pool_size"] = _pool_size(data["pool_size"], on=timezone.localdate())
    if "laboratory" in data:
        cleaned["laboratory"] = _laboratory(data["laboratory"])
    test_type = cleaned.get("test_type", current.test_type if current else TestType.RT_PCR)
    lab = cleaned.get("laboratory", current.laboratory if current else None)
    if lab is not None and test_type == TestType.RT_PCR and not lab.does_rt_pcr:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("%(lab)s does not run RT-PCR tests.") % {"lab": lab.place.name}, field="laboratory")
    if "notes" in data:
        cleaned["notes"] = text_field(data["notes"], code=LabErrorCode.CAMPAIGN_INVALID, field="notes", limit=2000,
                                      lines=True)
    return cleaned


@transaction.atomic(durable=True)
def campaign_create(**kwargs) -> Campaign:
    """Plan a campaign (_campaign_create) in its own transaction: an entry point of the pages and the API. A
    caller already inside a transaction (the demo) calls _campaign_create."""
    return _campaign_create(**kwargs)


@transaction.atomic
def _campaign_create(*, name: str, kind: str, unit, starts_on: date | None, ends_on: date | None = None,
                     test_type: str = TestType.RT_PCR, pool_size: int = 1, laboratory=None, notes: str = "",
                     by) -> Campaign:
    """A sampling campaign over an area of the actor's jurisdiction, starting at round 1."""
    require_perm(by, Perm.LABS_SAMPLE)
    data = {"name": name, "kind": kind, "unit": unit, "starts_on": starts_on, "ends_on": ends_on,
            "test_type": test_type, "pool_size": pool_size, "laboratory": laboratory, "notes": notes}
    cleaned = _campaign_clean(data, by=by)
    campaign = Campaign.objects.create(**cleaned, current_round=1, created_by=as_user(by), changed_by=as_user(by))
    audit_record(actor=by, action="campaign.create", object_type="campaign", object_id=campaign.pk,
                 detail={"name": campaign.name, "unit": campaign.unit.code, "pool_size": campaign.pool_size})
    return campaign


def _campaign_locked(campaign: Campaign, by, *, manage: bool = True) -> Campaign:
    current = (Campaign.objects.select_for_update(of=("self",)).select_related("unit", "laboratory__place")
               .filter(campaign_scope_q(by), pk=campaign.pk).first())
    if current is None:
        raise NotFound(LabErrorCode.CAMPAIGN_NOT_FOUND, _("Campaign not found."), field="campaign")
    if manage and not campaign_managed_by(current, by):
        raise PermissionDenied(LabErrorCode.PERMISSION,
                               _("Only the health service of %(unit)s can change this campaign.")
                               % {"unit": current.unit.label})
    return current


@transaction.atomic(durable=True)
def campaign_update(*, campaign: Campaign, by, **changes: Any) -> Campaign:
    """Change the given fields among CAMPAIGN_FIELDS. The area may shrink only as far as its sites allow."""
    require_perm(by, Perm.LABS_SAMPLE)
    unknown = sorted(set(changes) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("%(field)s cannot be changed.") % {"field": unknown[0]},
                          field=unknown[0])
    current = _campaign_locked(campaign, by)
    cleaned = _campaign_clean(changes, by=by, current=current)
    unit = cleaned.get("unit")
    if unit is not None and unit.pk != current.unit_id:
        outside = [s.name for s in current.sites.select_related("commune") if not _within(s.commune, unit)]
        if outside:
            raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                              _("The site %(site)s lies outside %(unit)s.") % {"site": outside[0], "unit": unit.label},
                              field="unit")
    changed = model_update(current, cleaned, changed_by=as_user(by))
    if changed:
        audit_record(actor=by, action="campaign.update", object_type="campaign", object_id=current.pk,
                     detail={"fields": changed})
    return current


@transaction.atomic(durable=True)
def campaign_next_round(*, campaign: Campaign, by) -> Campaign:
    """Start the next round (lần 2, 3…): everyone may be swabbed again. Refused while the current round
    has no sample, so a double click does not skip a round."""
    require_perm(by, Perm.LABS_SAMPLE)
    current = _campaign_locked(campaign, by)
    if not Sample.objects.filter(campaign=current, round=current.current_round).exists():
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("Round %(n)d has no sample yet.") % {"n": current.current_round}, field="current_round")
    if current.ends_on and current.ends_on < timezone.localdate():
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("The campaign ended on %(date)s.") % {"date": current.ends_on.strftime("%d/%m/%Y")},
                          field="current_round")
    current.current_round += 1
    current.changed_by = as_user(by)
    current.save(update_fields=["current_round", "changed_by", "changed_at"])
    audit_record(actor=by, action="campaign.next_round", object_type="campaign", object_id=current.pk,
                 detail={"round": current.current_round})
    return current


def _site_commune(value, *, campaign: Campaign, by) -> AdminUnit:
    unit = _unit(value)
    if unit is None or unit.level != AdminLevel.COMMUNE:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Choose the commune of the site."), field="commune")
    area = campaign.unit
    if not _within(unit, area):
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("%(commune)s is outside the campaign's area (%(area)s).")
                          % {"commune": unit.label, "area": area.name}, field="commune")
    if not commune_in_jurisdiction(by, unit):
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID,
                          _("%(unit)s is outside your jurisdiction.") % {"unit": unit.label}, field="commune")
    return unit


def _site_place(value) -> Place | None:
    if value in (None, ""):
        return None
    if isinstance(value, Place):
        return value
    pk = uuid_or_none(value)
    place = Place.objects.filter(pk=pk, is_active=True).first() if pk else None
    if place is None:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("Unknown place."), field="place")
    return place


@transaction.atomic(durable=True)
def site_create(**kwargs) -> SamplingSite:
    """Add a site (_site_create) in its own transaction: an entry point of the pages and the API. A caller
    already inside a transaction (the demo) calls _site_create."""
    return _site_create(**kwargs)


@transaction.atomic
def _site_create(*, campaign: Campaign, name: str, commune, address: str = "", place=None, by) -> SamplingSite:
    """A sampling site in a commune of the campaign's area that is also in the actor's jurisdiction: a
    commune station adds its own sites to a district-wide screening."""
    require_perm(by, Perm.LABS_SAMPLE)
    current = _campaign_locked(campaign, by, manage=False)
    site = SamplingSite.objects.create(
        campaign=current,
        name=text_field(name, code=LabErrorCode.CAMPAIGN_INVALID, field="name", limit=200,
                        required_message=_("A site needs a name.")),
        commune=_site_commune(commune, campaign=current, by=by),
        address=text_field(address, code=LabErrorCode.CAMPAIGN_INVALID, field="address", limit=300),
        place=_site_place(place),
        latitude=getattr(place, "latitude", None), longitude=getattr(place, "longitude", None),
        created_by=as_user(by), changed_by=as_user(by),
    )
    audit_record(actor=by, action="site.create", object_type="sampling_site", object_id=site.pk,
                 detail={"campaign": str(current.pk), "name": site.name, "commune": site.commune.code})
    return site


@transaction.atomic(durable=True)
def site_update(*, site: SamplingSite, by, **changes: Any) -> SamplingSite:
    require_perm(by, Perm.LABS_SAMPLE)
    unknown = sorted(set(changes) - set(SITE_FIELDS))
    if unknown:
        raise DomainError(LabErrorCode.CAMPAIGN_INVALID, _("%(field)s cannot be changed.") % {"field": unknown[0]},
                          field=unknown[0])
    campaign = _campaign_locked(site.campaign, by, manage=False)
    current = SamplingSite.objects.select_for_update().select_related("commune").get(pk=site.pk)
    if not commune_in_jurisdiction(by, current.commune):
        raise PermissionDenied(LabErrorCode.PERMISSION, _("This site is outside your jurisdiction."))
    cleaned: dict[str, Any] = {}
    if "name" in changes:
        cleaned["name"] = text_field(changes["name"], code=LabErrorCode.CAMPAIGN_INVALID, field="name", limit=200,
                                     required_message=_("A site needs a name."))
    if "commune" in changes:
        cleaned["commune"] = _site_commune(changes["commune"], campaign=campaign, by=by)
    if "address" in changes:
        cleaned["address"] = text_field(changes["address"], code=LabErrorCode.CAMPAIGN_INVALID, field="address",
                                        limit=300)
    if "place" in changes:
        cleaned["place"] = _site_place(changes["place"])
    changed = model_update(current, cleaned, changed_by=as_user(by))
    if changed:
        audit_record(actor=by, action="site.update", object_type="sampling_site", object_id=current.pk,
                     detail={"fields": changed})
    return current


# ---- the laboratory: receiving and rejecting ---------------------------------------------------------

@dataclass
class Received:
    code: str
    sample: Sample | None = None
    error: DomainError | None = None


def samples_receive(*, codes: str | Iterable[str], by, received_at: datetime | None = None) -> list[Received]:
    """Tubes arriving at the laboratory, scanned or pasted: each code received or refused on its own,
    with its reason (unknown code, another laboratory's tube, already received, tested or rejected).
    Laboratory staff receive for their laboratory; a tube sent to no laboratory becomes theirs."""
    require_perm(by, Perm.LABS_RESULT)
    wanted = parse_codes(codes)
    if not wanted:
        raise DomainError(LabErrorCode.SAMPLE_NOT_FOUND, _("Scan or paste at least one tube code."), field="codes")
    if len(wanted) > MAX_RECEIVE:
        raise DomainError(LabErrorCode.SAMPLE_NOT_FOUND,
                          _("At most %(n)d tube codes at once.") % {"n": MAX_RECEIVE}, field="codes")
    now = timezone.now()
    received_at = _sane_time(received_at or now, field="received_at")
    _not_future(received_at, field="received_at", message=_("The time received is in the future."))
    lab = user_laboratory(by)
    if lab is None and getattr(by, "jurisdiction_place_id", None):
        raise PermissionDenied(LabErrorCode.PERMISSION, _("Only laboratory staff receive samples."))
    results: list[Received] = []
    with transaction.atomic():
        found = {s.code: s for s in Sample.objects.select_for_update(of=("self",)).select_related(
            "laboratory__place").filter(code__in=wanted)}
        visible = set(found)
        if not is_system(by) and lab is None:  # a unit user receives only what they may see
            visible = set(Sample.objects.filter(sample_scope_q(by), code__in=wanted).values_list("code", flat=True))
        todo = []
        for code in wanted:
            sample = found.get(code) if code in visible else None
            error = None
            if sample is None:
                error = NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("No sample has the code %(code)s.") % {"code": code},
                                 field="codes", sample_code=code)
            elif lab is not None and sample.laboratory_id not in (None, lab.pk):
                error = DomainError(LabErrorCode.STATUS_INVALID,
                                    _("%(code)s was sent to another laboratory (%(lab)s).")
                                    % {"code": code, "lab": sample.laboratory.place.name},
                                    field="codes", sample_code=code)
            elif sample.status == SampleStatus.RECEIVED:
                error = DomainError(LabErrorCode.STATUS_INVALID,
                                    _("%(code)s was already received on %(at)s.")
                                    % {"code": code, "at": timezone.localtime(sample.received_at).strftime("%d/%m/%Y %H:%M")},
                                    field="codes", sample_code=code)
            elif sample.status == SampleStatus.REJECTED:
                error = DomainError(LabErrorCode.STATUS_INVALID,
                                    _("%(code)s was rejected: %(reason)s") % {"code": code,
                                                                             "reason": sample.rejected_reason},
                                    field="codes", sample_code=code)
            elif sample.status != SampleStatus.COLLECTED:
                error = DomainError(LabErrorCode.STATUS_INVALID, _("%(code)s is already tested.") % {"code": code},
                                    field="codes", sample_code=code)
            elif received_at < sample.collected_at - FUTURE_SLACK:
                error = DomainError(LabErrorCode.DATE_INVALID,
                                    _("%(code)s was collected after that time.") % {"code": code},
                                    field="received_at", sample_code=code)
            if error is None:
                sample.status = SampleStatus.RECEIVED
                sample.received_at = received_at
                sample.received_by = as_user(by)
                if sample.laboratory_id is None and lab is not None:
                    sample.laboratory = lab
                sample.changed_by = as_user(by)
                sample.changed_at = now
                todo.append(sample)
            results.append(Received(code=code, sample=sample if error is None else None, error=error))
        if todo:
            Sample.objects.bulk_update(todo, ["status", "received_at", "received_by", "laboratory", "changed_by",
                                              "changed_at"])
            audit_record(actor=by, action="sample.receive", object_type="laboratory",
                         object_id=lab.pk if lab else "", detail={"codes": [s.code for s in todo]})
    return results


REJECTABLE = (SampleStatus.COLLECTED, SampleStatus.RECEIVED)


@transaction.atomic(durable=True)
def sample_reject(**kwargs) -> Sample:
    """Reject a tube (_sample_reject) in its own transaction: an entry point of the pages and the API. A caller
    already inside a transaction (the demo) calls _sample_reject."""
    return _sample_reject(**kwargs)


@transaction.atomic
def _sample_reject(*, sample: Sample, reason: str, by) -> Sample:
    """The tube cannot be tested (leaked, unlabelled, too old…): everyone in it must be swabbed again."""
    require_perm(by, Perm.LABS_RESULT)
    current = (Sample.objects.select_for_update(of=("self",)).filter(sample_scope_q(by), pk=sample.pk).first())
    if current is None:
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("Sample not found."))
    lab = user_laboratory(by)
    if lab is not None and current.laboratory_id not in (None, lab.pk):
        raise NotFound(LabErrorCode.SAMPLE_NOT_FOUND, _("Sample not found."))
    if current.status not in REJECTABLE:
        raise DomainError(LabErrorCode.STATUS_INVALID,
                          _("Only a sample waiting for its test can be rejected; this one is %(status)s.")
                          % {"status": current.get_status_display()}, field="status")
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise DomainError(LabErrorCode.STATUS_INVALID, _("Give the reason for the rejection."), field="reason")
    if len(reason) > 200:
        raise DomainError(LabErrorCode.STATUS_INVALID, _("At most %(n)d characters.") % {"n": 200}, field="reason")
    now = timezone.now()
    current.status = SampleStatus.REJECTED
    current.rejected_reason = reason
    current.rejected_at = now
    current.rejected_by = as_user(by)
    current.changed_by = as_user(by)
    current.save(update_fields=["status", "rejected_reason", "rejected_at", "rejected_by", "changed_by", "changed_at"])
    swabs = list(current.swabs.all())
    # Each swab now waits to be taken again (retest_done False): the next sample of the person links to it.
    Swab.objects.filter(sample=current).update(outcome=SwabOutcome.REJECTED, retest_done=False, retest_due=True,
                                                  voided=True, changed_at=now)
    audit_record_many(actor=by, action="sample.reject", object_type="person", person_ids=[s.person_id for s in swabs],
                      detail={"sample": str(current.pk), "code": current.code, "reason": reason})
    return current
