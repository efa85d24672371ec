"""Results online: a citizen reads their own result with the tube code and their date of birth, on the public
page /ket-qua/ (the address the result SMS points to) and through POST /api/labs/results/lookup. No log-in.

- A pooled tube holds several people: the date of birth picks the person. When it does not pick exactly one
  (two people of the tube born the same day, or a person whose record has only a year of birth), the last 4
  digits of the person's phone or CCCD are asked as well.
- Nothing is said about whether a code exists unless the date of birth matches too: the candidates are read
  with one SQL statement filtering on both, so an unknown code and a wrong date of birth do the same work (one
  indexed query that finds nothing, one failure counted) and get the same message and status. The database
  still reads a few more pages for a tube that exists (measured: a few milliseconds on PostgreSQL), so a
  failed look-up answers no sooner than FAILURE_FLOOR after it began: both take the same time.
- Only released results are shown; otherwise "not available yet" (or "sample again" for a tube the
  laboratory rejected), and only once the code and the date of birth matched.
- The code is read as people type it: case, spaces and separators (-, ., /) do not matter ("82tg0001" finds
  82-TG-0001), through the index labs_sample_code_bare.
- Rate limits (core.ratelimit, in the shared cache): every attempt from one client address counts (ATTEMPTS), and
  failures count per (address, code) and per address (FAILURES_AT_CODE, FAILURES). A stranger guessing a date of
  birth blocks only themselves: the owner, from their own address, is never locked out by someone else's
  failures; guessing many codes from one address is stopped by the per-address limits.
- Every look-up that shows something about a person (a result, "not yet", "rejected") is in the audit
  trail: channel "public", no actor, the client's address.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.core import request_context
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.ratelimit import Rate, RateLimited, address_key, rate_blocked, rate_hit, rate_named

from ..errors import LabErrorCode
from ..models import CodeKey, Sample, SampleStatus, Swab, SwabOutcome

ATTEMPTS = Rate(10, 10 * 60)  # look-ups of any kind from one address
FAILURES_AT_CODE = Rate(5, 60 * 60)  # failed look-ups of one tube code from one address
FAILURES = Rate(20, 60 * 60)  # failed look-ups from one address, all codes
FAILURE_FLOOR = 0.06  # seconds: above the slowest failed look-up measured at a million people
OLDEST_BIRTH = date(1900, 1, 1)
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d%m%Y")
_NOT_IN_KEY = re.compile(r"[\s\-.‐‑‒–—/]+")  # spaces, dashes (also typographic ones), dots, slashes
KEY_PATTERN = re.compile(r"[A-Z0-9]{3,40}")


class LookupRateLimited(RateLimited):
    def __init__(self, seconds: float):
        super().__init__(seconds, LabErrorCode.LOOKUP_RATE)


class LookupFailed(DomainError):
    status = 404


def lookup_failed() -> LookupFailed:
    """The one answer for an unknown code, a wrong date of birth and wrong last digits."""
    return LookupFailed(LabErrorCode.LOOKUP_FAILED,
                        _("No result matches this sample code and date of birth. Check both (the code is on your "
                          "SMS or the paper you were given) and try again."))


# ---- rate limits ---------------------------------------------------------------------------------------

def code_key(raw) -> str:
    """A typed tube code as the index labs_sample_code_bare holds it: upper case, no spaces or separators."""
    return _NOT_IN_KEY.sub("", str(raw or "")).upper()


def rate_limit_check(*, ip: str, code: str, now: float | None = None) -> None:
    """Raise LookupRateLimited when this address is blocked, or blocked for this code; else count the attempt."""
    address = address_key(ip)
    wait = max(
        rate_hit("labs.lookup.address", address, rate_named("labs.lookup.address", ATTEMPTS), now=now),
        rate_blocked("labs.lookup_failures.address_code", f"{address} {code_key(code)}",
                     rate_named("labs.lookup_failures.address_code", FAILURES_AT_CODE), now=now),
        rate_blocked("labs.lookup_failures.address", address,
                     rate_named("labs.lookup_failures.address", FAILURES), now=now))
    if wait > 0:
        raise LookupRateLimited(wait)


def _count_failure(*, ip: str, code: str, now: float | None = None) -> None:
    address = address_key(ip)
    rate_hit("labs.lookup_failures.address_code", f"{address} {code_key(code)}",
             rate_named("labs.lookup_failures.address_code", FAILURES_AT_CODE), now=now)
    rate_hit("labs.lookup_failures.address", address, rate_named("labs.lookup_failures.address", FAILURES), now=now)


def _pad(began: float) -> None:
    """Let a failed look-up end FAILURE_FLOOR after it began, whatever the database had to read."""
    floor = getattr(settings, "LACHAN_LOOKUP_FAILURE_FLOOR", FAILURE_FLOOR)
    left = floor - (time.perf_counter() - began)
    if left > 0:
        time.sleep(left)


# ---- input -----------------------------------------------------------------------------------------------

def parse_birth_date(raw) -> date | None:
    """A date of birth as people type it: 21/07/1985, 21-07-1985, 21.7.1985, 1985-07-21, 21071985."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = re.sub(r"\s+", "", str(raw or ""))
    if not text or len(text) > 10:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _check(code: str, birth_date, last4: str) -> tuple[str, date, str]:
    problems = []
    code = code_key(code)
    if not KEY_PATTERN.fullmatch(code):
        problems.append(DomainError(LabErrorCode.SAMPLE_CODE_INVALID,
                                    _("Enter the sample code as printed: 4 to 40 letters, digits, dots, dashes or "
                                      "slashes."), field="code"))
    born = parse_birth_date(birth_date)
    if born is None:
        problems.append(DomainError(LabErrorCode.DATE_INVALID, _("Enter your date of birth as dd/mm/yyyy."),
                                    field="birth_date"))
    elif not OLDEST_BIRTH <= born <= timezone.localdate():
        problems.append(DomainError(LabErrorCode.DATE_INVALID, _("This date of birth is not possible."),
                                    field="birth_date"))
    last4 = re.sub(r"\s+", "", str(last4 or ""))
    if last4 and not re.fullmatch(r"\d{4}", last4):
        problems.append(DomainError(LabErrorCode.LOOKUP_MORE_NEEDED, _("Enter exactly 4 digits."), field="last4"))
    if problems:
        raise ValidationFailed(problems)
    return code, born, last4


# ---- the look-up -------------------------------------------------------------------------------------------

class LookupMoreNeeded(DomainError):
    """The code and date of birth matched, but not one person alone: ask for the last 4 digits."""

    status = 400


@dataclass(frozen=True)
class PersonResult:
    swab_id: UUID
    sample_id: UUID
    code: str
    test_type: str
    pooled: bool
    status: str  # "released", "pending" or "rejected"
    outcome: str  # the person's (SwabOutcome) when released
    result: str  # the tube's (Result) when released
    collected_at: datetime
    released_at: datetime | None
    laboratory: str
    masked_name: str  # the full name on a citizen's own list
    birth_year: int | None
    person_id: UUID
    retest_code: str = ""  # the individual re-test's tube, for a member of a positive pool


_COLUMNS = ("pk", "outcome", "person_id", "sample_id", "sample__code", "sample__status", "sample__result",
            "sample__pooled", "sample__test_type", "sample__collected_at", "sample__released_at",
            "sample__laboratory__place__name", "person__full_name", "person__birth_date", "person__birth_year",
            "person__national_id", "person__phone", "person__phone_alt")


def mask_name(full_name: str) -> str:
    """"Nguyễn Văn An" → "N***** V** A*": enough to recognise, not to identify."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in str(full_name or "").split())


def _last4_matches(row: dict, last4: str) -> bool:
    return any(str(row[f] or "")[-4:] == last4 and len(str(row[f] or "")) >= 4
               for f in ("person__national_id", "person__phone", "person__phone_alt"))


def _candidates(key: str, born: date) -> list[dict]:
    """The swabs of the tube(s) with this code key whose person matches the date of birth (or, lacking one, its
    year): one statement, the tube found through the index labs_sample_code_bare."""
    where = Q(person__birth_date=born) | Q(person__birth_date__isnull=True, person__birth_year=born.year)
    sample_ids = Sample.objects.alias(key=CodeKey("code")).filter(key=key).values("pk")
    return list(Swab.objects.filter(where, sample_id__in=sample_ids).values(*_COLUMNS).order_by("position"))


@contextmanager
def _public_channel():
    ctx = request_context.current()
    token = request_context.activate(request_context.RequestContext(
        ip=ctx.ip, user_agent=ctx.user_agent, path=ctx.path, channel="public"))
    try:
        yield
    finally:
        request_context.deactivate(token)


def _status_of(row: dict) -> str:
    if row["sample__status"] == SampleStatus.RELEASED:
        return "released"
    if row["sample__status"] == SampleStatus.REJECTED:
        return "rejected"
    return "pending"


def _result_of(r: dict, *, name: str, retest_code: str = "") -> PersonResult:
    return PersonResult(
        swab_id=r["pk"], sample_id=r["sample_id"], code=r["sample__code"], test_type=r["sample__test_type"],
        pooled=r["sample__pooled"], status=_status_of(r), outcome=r["outcome"], result=r["sample__result"],
        collected_at=r["sample__collected_at"], released_at=r["sample__released_at"],
        laboratory=r["sample__laboratory__place__name"] or "", masked_name=name,
        birth_year=r["person__birth_date"].year if r["person__birth_date"] else r["person__birth_year"],
        person_id=r["person_id"], retest_code=retest_code)


def result_lookup(*, code: str, birth_date, last4: str = "", ip: str = "") -> list[PersonResult]:
    """The result of the person (rarely people) of this tube born that day. Raises ValidationFailed for input
    that cannot be a code or a date, LookupRateLimited (429), LookupFailed (404: unknown code, wrong date of
    birth or wrong last digits, alike) and LookupMoreNeeded (400, field last4)."""
    began = time.perf_counter()
    code = code_key(code)[:60]
    rate_limit_check(ip=ip, code=code)
    code, born, last4 = _check(code, birth_date, last4)
    rows = _candidates(code, born)
    exact = [r for r in rows if r["person__birth_date"] == born]
    if len(rows) != 1 or not exact:  # several people, or only a year of birth to go by
        if rows and not last4:
            raise LookupMoreNeeded(LabErrorCode.LOOKUP_MORE_NEEDED,
                                   _("To be sure it is you, also enter the last 4 digits of your phone number or "
                                     "of your CCCD."), field="last4")
        rows = [r for r in rows if _last4_matches(r, last4)]
    if not rows:
        _count_failure(ip=ip, code=code)
        _pad(began)
        raise lookup_failed()
    pool_positive = [r for r in rows if r["outcome"] == SwabOutcome.RETEST]
    retests = dict(Swab.objects.filter(  # by person first: retest_of has no index of its own
        person_id__in=[r["person_id"] for r in pool_positive], retest_of_id__in=[r["pk"] for r in pool_positive])
        .values_list("retest_of_id", "sample__code")) if pool_positive else {}
    found = [_result_of(r, name=mask_name(r["person__full_name"]), retest_code=retests.get(r["pk"], "")) for r in rows]
    with _public_channel():
        for item in found:
            audit_record(actor=None, action="labs.result_lookup", object_type="swab", object_id=item.swab_id,
                         person_id=item.person_id,
                         detail={"code": item.code, "shown": item.outcome if item.status == "released" else item.status})
    return found


def results_of_citizen(*, user, limit: int = 50) -> list[PersonResult]:
    """A logged-in citizen's own results, newest first (their account linked to their person record)."""
    person_id = getattr(getattr(user, "person", None), "pk", None) if getattr(user, "is_citizen", False) else None
    if person_id is None:
        return []
    rows = list(Swab.objects.filter(person_id=person_id).values(*_COLUMNS).order_by("-sample__collected_at")[:limit])
    found = [_result_of(r, name=r["person__full_name"]) for r in rows]
    if found:
        audit_record(actor=user, action="labs.result_lookup", object_type="person", object_id=person_id,
                     person_id=person_id, detail={"own": True, "results": len(found)})
    return found
