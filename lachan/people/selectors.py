"""Reads of people, always inside the user's jurisdiction, merged tombstones left out, reads audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound
from lachan.core.numbers import is_ascii_digits
from lachan.core.pagination import Page, page_of  # noqa: F401 (page_of is re-exported for views)
from lachan.core.phones import phone_looks_like
from lachan.core.text import fold
from lachan.geo.models import AdminLevel, AdminUnit

from .access import people_in_scope, require_perm
from .errors import PeopleErrorCode
from .identity import phone_normalize
from .models import DuplicateCandidate, DuplicateStatus, Household, Person

ORDERING = ("search_name", "id")
EXPORT_LIMIT = 50_000
_DIGITS = re.compile(r"[\s.\-()]")


class PersonResults:
    """Matches of a search as ordered, disjoint parts, best first, and a fallback shown only when the
    parts find nobody. Each part is read along an index (a name range), so a page costs a few index
    reads even among a million people; the fallback may scan, and runs only for searches that found
    nothing otherwise (a middle name alone, a typo)."""

    def __init__(self, parts: list[QuerySet[Person]], fallback: QuerySet[Person] | None = None):
        self.parts = parts
        self.fallback = fallback

    def _effective_parts(self) -> list[QuerySet[Person]]:
        if self.fallback is not None and not any(part.exists() for part in self.parts):
            return [self.fallback]
        return self.parts

    def __iter__(self):
        for part in self._effective_parts():
            yield from part.all()

    def queryset(self) -> QuerySet[Person]:
        """All matches as one queryset (for exports and counts), not in display order."""
        parts = self._effective_parts()
        combined = parts[0]
        for part in parts[1:]:
            combined = combined | part
        return combined

    def page(self, *, number: int, size: int) -> Page:
        # Page 1 tries the parts and falls back only if they are empty; later pages ask which applies.
        rows = _collect(self.parts if number == 1 else self._effective_parts(), number, size)
        if number == 1 and not rows and self.fallback is not None:
            rows = _collect([self.fallback], number, size)
        return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)


def _collect(parts: list[QuerySet[Person]], number: int, size: int) -> list[Person]:
    """Rows number*size-size … number*size (+1 to tell whether more follow) of the parts in order."""
    skip, need, rows = (number - 1) * size, size + 1, []
    for part in parts:
        if need <= 0:
            break
        part = part.all()  # a fresh query even if this part was iterated before
        got = list(part[skip : skip + need])
        if not got and skip:
            skip -= part[:skip].count()  # bounded: at most `skip` index entries
            continue
        rows += got
        need -= len(got)
        skip = 0
    return rows


def _name_parts(base: QuerySet[Person], words: list[str]) -> PersonResults:
    text = " ".join(words)
    anywhere = Q()
    for word in words:
        anywhere &= Q(search_name__startswith=word) | Q(search_name__contains=" " + word)
    # search keys are "[0-9a-z ]" (byte-ordered on PostgreSQL): a prefix is the range [text, text + "{").
    starts = Q(search_name__gte=text, search_name__lt=text + "{")
    # The last word typed is most often the given name: walk the reversed-name index from it; the
    # other words may stand anywhere. (One word is then a pure index range, with no filter at all.)
    given = Q(search_name_rev__gte=words[-1], search_name_rev__lt=words[-1] + "{")
    for word in words[:-1]:
        given &= Q(search_name_rev__startswith=word) | Q(search_name_rev__contains=" " + word)
    return PersonResults(
        [
            base.filter(starts).order_by(*ORDERING),
            base.filter(given).exclude(starts).order_by("search_name_rev", "id"),
        ],
        fallback=base.filter(anywhere).order_by(*ORDERING),
    )


def person_search_q(query: str) -> Q | list[str] | None:
    """What a search box asks for: a filter for a CCCD or a phone, the folded name words (a list),
    Q() for no query, or None when the query can match nobody (a phone number that is not Vietnamese)."""
    raw = (query or "").strip()
    if not raw:
        return Q()
    compact = _DIGITS.sub("", raw)
    if is_ascii_digits(compact) and len(compact) == 12:
        return Q(national_id=compact)
    if phone_looks_like(raw):
        try:
            phone = phone_normalize(raw)
        except DomainError:
            return None
        return Q(phone=phone) | Q(phone_alt=phone)
    return fold(raw).split() or None


def person_list(
    *, user, query: str = "", commune: AdminUnit | int | None = None, sex: str | None = None,
    birth_year_from: int | None = None, birth_year_to: int | None = None, household: Household | UUID | None = None,
    audit: bool = True,
) -> PersonResults:
    """People in the user's jurisdiction matching a search and filters, best matches first, then by
    folded name and id. Paginate with `page_of` (no COUNT over a million rows)."""
    require_perm(user, Perm.PEOPLE_VIEW)
    queryset = people_in_scope(user).select_related("commune__parent")
    if commune:
        commune_id = commune.pk if isinstance(commune, AdminUnit) else int(commune)
        queryset = queryset.filter(commune_id=commune_id)
    if sex:
        queryset = queryset.filter(sex=sex)
    if birth_year_from:
        queryset = queryset.filter(birth_year__gte=birth_year_from)
    if birth_year_to:
        queryset = queryset.filter(birth_year__lte=birth_year_to)
    if household:
        queryset = queryset.filter(household=household)
    if audit:
        filters = {
            k: str(v) for k, v in (
                ("commune", getattr(commune, "pk", commune)), ("sex", sex), ("birth_year_from", birth_year_from),
                ("birth_year_to", birth_year_to), ("household", getattr(household, "pk", household)),
            ) if v
        }
        audit_record(
            actor=user, action=AuditAction.SEARCH if query else AuditAction.LIST, object_type="person",
            detail={"query": query, **filters} if query else filters,
        )
    search = person_search_q(query)
    if search is None:
        return PersonResults([queryset.none()])
    if isinstance(search, list):
        return _name_parts(queryset, search)
    return PersonResults([queryset.filter(search).order_by(*ORDERING)])


def person_search(*, user, query: str, **filters: Any) -> PersonResults:
    return person_list(user=user, query=query, **filters)


def person_candidates(*, user, query: str, purpose: str, limit: int = 20) -> list[Person]:
    """People of the user's jurisdiction matching a name, a CCCD or a phone number, best first, for a desk
    that picks one person (sampling, a quarantine order); the caller checks its own permission. Audited like
    the people search, with the purpose."""
    search = person_search_q(query)
    if search is None or not (query or "").strip():
        return []
    queryset = people_in_scope(user).select_related("commune__parent")
    if isinstance(search, list):
        where = Q()
        for word in search:
            where &= Q(search_name__startswith=word) | Q(search_name__contains=" " + word)
        queryset = queryset.filter(where)
    else:
        queryset = queryset.filter(search)
    audit_record(actor=user, action="search", object_type="person", detail={"query": query[:100], "for": purpose})
    return list(queryset.order_by(*ORDERING)[:limit])


def person_get(*, user, person_id: UUID | str, audit: bool = True) -> Person:
    """One person in the user's jurisdiction (404 otherwise, whether or not they exist)."""
    if user is None or not getattr(user, "is_citizen", False):
        require_perm(user, Perm.PEOPLE_VIEW)
    try:
        pk = person_id if isinstance(person_id, UUID) else UUID(str(person_id))
        person = people_in_scope(user).select_related("commune__parent__parent", "household").get(pk=pk)
    except (Person.DoesNotExist, ValueError):
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("No such person.")) from None
    if audit:
        audit_record(actor=user, action=AuditAction.READ, object_type="person", object_id=person.pk, person_id=person.pk)
    return person


def person_mine(*, user) -> Person | None:
    """The citizen's own record (audited as a read of it), or None when no record is linked yet."""
    if user is None or not user.is_authenticated:
        return None
    person = Person.objects.active().select_related("commune__parent__parent", "household").filter(account=user).first()
    if person is not None:
        audit_record(actor=user, action=AuditAction.READ, object_type="person", object_id=person.pk, person_id=person.pk)
    return person


def household_members(*, user, person: Person) -> list[Person]:
    """Other members of the person's household that the user may see."""
    if not person.household_id:
        return []
    return list(
        people_in_scope(user).filter(household_id=person.household_id).exclude(pk=person.pk).order_by(*ORDERING)[:50]
    )


def communes_in_scope(*, user) -> QuerySet[AdminUnit]:
    """Communes a user may filter by or register people in."""
    scope = scope_for(user)
    if scope.kind != "unit":
        return AdminUnit.objects.none()
    return AdminUnit.objects.filter(pk__in=scope.commune_ids(), level=AdminLevel.COMMUNE).order_by("path")


def duplicate_list(*, user, person: Person | None = None, status: str = DuplicateStatus.OPEN) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs where both records are in the user's jurisdiction."""
    require_perm(user, Perm.PEOPLE_VIEW)
    visible = people_in_scope(user).values("pk")
    queryset = DuplicateCandidate.objects.filter(person_a__in=visible, person_b__in=visible)
    if status:
        queryset = queryset.filter(status=status)
    if person is not None:
        queryset = queryset.filter(Q(person_a=person) | Q(person_b=person))
    return queryset.select_related("person_a__commune__parent", "person_b__commune__parent").order_by("-score", "found_at", "pk")


def duplicate_get(*, user, candidate_id: int) -> DuplicateCandidate:
    found = duplicate_list(user=user, status="").filter(pk=candidate_id).first()
    if found is None:
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("No such duplicate."))
    return found


EXPORT_COLUMNS = (
    "full_name", "birth_date", "birth_year", "sex", "national_id", "phone", "phone_alt", "province", "district",
    "commune", "address_line", "occupation", "id",
)


def person_export_rows(*, user, limit: int = EXPORT_LIMIT, **filters: Any) -> Iterator[tuple]:
    """Rows for a spreadsheet with the list's filters. Refuses (before any row) when over `limit`."""
    require_perm(user, Perm.PEOPLE_EXPORT)
    queryset = person_list(user=user, audit=False, **filters).queryset().order_by(*ORDERING)
    total = queryset[: limit + 1].count()  # bounded: counts at most limit + 1 rows
    if total > limit:
        raise DomainError(
            PeopleErrorCode.EXPORT_TOO_LARGE,
            _("More than %(n)d people match: narrow the filters (e.g. one commune) and export again.") % {"n": limit},
        )
    audit_record(
        actor=user, action=AuditAction.EXPORT, object_type="person",
        detail={**{k: str(v) for k, v in filters.items() if v}, "rows": total},
    )
    return _export_iter(queryset.select_related("commune__parent__parent"))


def _export_iter(queryset: QuerySet[Person]) -> Iterator[tuple]:
    for p in queryset.iterator(chunk_size=2000):
        units = [p.commune]
        while units[-1].parent is not None and len(units) < 3:
            units.append(units[-1].parent)
        names = [u.name for u in reversed(units)]
        province, district = names[0], names[1] if len(names) == 3 else ""
        yield (
            p.full_name, p.birth_date, p.birth_year, p.get_sex_display(), p.national_id, p.phone, p.phone_alt,
            province, district, p.commune.name, p.address_line, p.occupation, str(p.pk),
        )
