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
- Rate limits, in Django's cache: every attempt from one client address counts (IP_LIMIT), failed attempts
  at one tube code count whatever the address (CODE_LIMIT), so the date of birth of a known code cannot be
  guessed. The embedded default cache is per process (LocMemCache): with several worker processes each keeps
  its own counts; set CACHES to a shared cache (Redis, the database) for exact limits.
- Every look-up that shows something about a person (a result, "not yet", "rejected") is in the audit
  trail: channel "public", no actor, the client's address.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lachan.accounts.audit import audit_record
from lachan.core import request_context
from lachan.core.errors import DomainError, ValidationFailed

from .errors import LabErrorCode
from .models import SampleStatus, Swab, SwabOutcome
from .services import CODE_PATTERN, code_normalize


@dataclass(frozen=True)
class Limit:
    attempts: int
    seconds: int


IP_LIMIT = Limit(10, 10 * 60)  # look-ups of any kind from one address
CODE_LIMIT = Limit(5, 60 * 60)  # failed look-ups of one tube code, from anywhere
FAILURE_FLOOR = 0.06  # seconds: above the slowest failed look-up measured at a million people
OLDEST_BIRTH = date(1900, 1, 1)
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d%m%Y")


class LookupRateLimited(DomainError):
    status = 429

    def __init__(self, seconds: float):
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(LabErrorCode.LOOKUP_RATE,
                         ngettext("Too many attempts. Try again in %(n)d minute.",
                                  "Too many attempts. Try again in %(n)d minutes.", minutes) % {"n": minutes},
                         retry_after=int(math.ceil(seconds)))
        self.retry_after = int(math.ceil(seconds))


class LookupFailed(DomainError):
    status = 404


def lookup_failed() -> LookupFailed:
    """The one answer for an unknown code, a wrong date of birth and wrong last digits."""
    return LookupFailed(LabErrorCode.LOOKUP_FAILED,
                        _("No result matches this sample code and date of birth. Check both (the code is on your "
                          "SMS or the paper you were given) and try again."))


# ---- rate limits ---------------------------------------------------------------------------------------

def _limits() -> tuple[Limit, Limit]:
    ip = getattr(settings, "LACHAN_LOOKUP_IP_LIMIT", None)
    code = getattr(settings, "LACHAN_LOOKUP_CODE_LIMIT", None)
    return (Limit(*ip) if ip else IP_LIMIT), (Limit(*code) if code else CODE_LIMIT)


def _key(kind: str, value: str) -> str:
    return f"lc:lookup:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def _wait(key: str, limit: Limit, now: float) -> float:
    """Seconds until the key may be tried again (0: now)."""
    count, until = cache.get(key) or (0, 0.0)
    return until - now if count >= limit.attempts and until > now else 0.0


def _count(key: str, limit: Limit, now: float) -> None:
    """One more attempt in the key's fixed window (a window starts at its first attempt). Not atomic across
    processes: two simultaneous attempts may count once, which a limit of this size tolerates."""
    count, until = cache.get(key) or (0, 0.0)
    if until <= now:
        count, until = 0, now + limit.seconds
    cache.set(key, (count + 1, until), timeout=max(1, math.ceil(until - now)))


def rate_limit_check(*, ip: str, code: str, now: float | None = None) -> None:
    """Raise LookupRateLimited when this address or this code is blocked; else count the attempt."""
    now = time.time() if now is None else now
    ip_limit, code_limit = _limits()
    ip_key, code_key = _key("ip", ip or "-"), _key("code", code)
    wait = max(_wait(ip_key, ip_limit, now), _wait(code_key, code_limit, now))
    if wait > 0:
        raise LookupRateLimited(wait)
    _count(ip_key, ip_limit, now)


def _pad(began: float) -> None:
    """Let a failed look-up end FAILURE_FLOOR after it began, whatever the database had to read."""
    floor = getattr(settings, "LACHAN_LOOKUP_FAILURE_FLOOR", FAILURE_FLOOR)
    left = floor - (time.perf_counter() - began)
    if left > 0:
        time.sleep(left)


def _count_failure(code: str, now: float | None = None) -> None:
    _count(_key("code", code), _limits()[1], time.time() if now is None else now)


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
    code = code_normalize(code)
    if not CODE_PATTERN.fullmatch(code):
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


def _candidates(code: str, born: date) -> list[dict]:
    """The tube's swabs whose person matches the date of birth (or, lacking one, its year): one statement."""
    where = Q(person__birth_date=born) | Q(person__birth_date__isnull=True, person__birth_year=born.year)
    return list(Swab.objects.filter(where, sample__code=code).values(*_COLUMNS).order_by("position"))


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
    code = code_normalize(code)[:60]
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
        _count_failure(code)
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
