"""Likely duplicates (same ID; same name + birth date + commune; same phone + similar name) and merging."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q, Window
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from rapidfuzz import fuzz

from lachan.accounts.audit import audit_record_many
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, NotFound

from .access import people_in_scope, require_perm
from .errors import PeopleErrorCode
from .models import DuplicateCandidate, DuplicateReason, DuplicateStatus, Person, PersonMerge
from .signals import person_commune_changed

NAME_SIMILARITY = 85  # rapidfuzz token ratio on folded names, 0–100
MAX_GROUP = 50  # a phone shared by more people than this is a switchboard, not a person


def names_similar(a: str, b: str) -> float:
    return fuzz.token_ratio(a, b)


def _ordered(p: tuple[UUID, Any], q: tuple[UUID, Any]) -> tuple[UUID, UUID]:
    """(older, newer) by creation time, then id (uuid7 ids are time-ordered too)."""
    return (p[0], q[0]) if (p[1], p[0]) <= (q[1], q[0]) else (q[0], p[0])


def _store(pairs: Iterable[tuple[UUID, UUID, str, float]]) -> None:
    """New candidates only: a pair already known (open, merged or dismissed) is left as it is."""
    rows = [DuplicateCandidate(person_a_id=a, person_b_id=b, reason=r, score=s) for a, b, r, s in pairs if a != b]
    if rows:
        DuplicateCandidate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def _known_pairs(person_id: UUID) -> set[frozenset]:
    rows = DuplicateCandidate.objects.filter(Q(person_a_id=person_id) | Q(person_b_id=person_id))
    return {frozenset((a, b)) for a, b in rows.values_list("person_a_id", "person_b_id")}


def duplicates_detect_for(*, person: Person) -> list[DuplicateCandidate]:
    """Candidates for one person, after a create or an update: a few indexed look-ups."""
    if person.merged_into_id:
        return []
    me = (person.pk, person.created_at)
    others = Person.objects.active().exclude(pk=person.pk)
    found: dict[UUID, tuple[str, float, Any]] = {}
    if person.national_id:
        for pk, created in others.filter(national_id=person.national_id).values_list("pk", "created_at")[:MAX_GROUP]:
            found[pk] = (DuplicateReason.SAME_NATIONAL_ID, 1.0, created)
    if person.birth_date:
        same = others.filter(search_name=person.search_name, birth_date=person.birth_date, commune_id=person.commune_id)
        for pk, created in same.values_list("pk", "created_at")[:MAX_GROUP]:
            found.setdefault(pk, (DuplicateReason.SAME_NAME_BIRTH_COMMUNE, 0.95, created))
    phones = [p for p in (person.phone, person.phone_alt) if p]
    if phones:
        sharing = others.filter(Q(phone__in=phones) | Q(phone_alt__in=phones))
        for pk, created, name in sharing.values_list("pk", "created_at", "search_name")[:MAX_GROUP]:
            score = names_similar(person.search_name, name)
            if score >= NAME_SIMILARITY:
                found.setdefault(pk, (DuplicateReason.SAME_PHONE_SIMILAR_NAME, round(score / 100, 3), created))
    known = _known_pairs(person.pk)
    pairs = [
        (*_ordered(me, (pk, created)), reason, score)
        for pk, (reason, score, created) in found.items()
        if frozenset((person.pk, pk)) not in known
    ]
    _store(pairs)
    return list(DuplicateCandidate.objects.filter(
        Q(person_a=person) | Q(person_b=person), status=DuplicateStatus.OPEN
    ))


def _groups(keys: list[str], extra: tuple[str, ...] = ()) -> Iterator[list[tuple]]:
    """Rows of active people sharing the same values of `keys`, one list per group, by one sorted scan."""
    base = Person.objects.active()
    for key in keys:
        if key == "birth_date":
            base = base.exclude(birth_date__isnull=True)
        elif key != "commune_id":
            base = base.exclude(**{key: ""})
    sized = base.annotate(group_size=Window(Count("pk"), partition_by=[F(k) for k in keys]))
    rows = (
        sized.filter(group_size__gt=1)
        .order_by(*keys, "created_at", "pk")
        .values_list(*keys, "pk", "created_at", *extra)
    )
    n = len(keys)
    for _key, group in itertools.groupby(rows.iterator(chunk_size=5000), key=lambda r: r[:n]):
        yield [r[n:] for r in group]


def duplicates_detect_all() -> Counter:
    """A batch pass over everyone (the nightly job and `manage.py people_find_duplicates`)."""
    def by_reason() -> Counter:
        return Counter(dict(DuplicateCandidate.objects.values_list("reason").annotate(n=Count("pk")).order_by()))

    before = by_reason()
    pairs: list[tuple[UUID, UUID, str, float]] = []

    def flush(reason: str) -> None:
        _store(pairs)
        pairs.clear()

    # (a) and (b): everyone in a group is paired with its oldest record (a star, not every pair).
    for reason, keys, score in (
        (DuplicateReason.SAME_NATIONAL_ID, ["national_id"], 1.0),
        (DuplicateReason.SAME_NAME_BIRTH_COMMUNE, ["search_name", "birth_date", "commune_id"], 0.95),
    ):
        for group in _groups(keys):
            oldest = group[0]
            pairs.extend((oldest[0], other[0], reason, score) for other in group[1:MAX_GROUP])
            if len(pairs) >= 5000:
                flush(reason)
        flush(reason)
    # (c): people sharing a phone (either slot), compared pairwise on their folded names.
    reason = DuplicateReason.SAME_PHONE_SIMILAR_NAME
    for group in _phone_groups():
        for p, q in itertools.combinations(group[:MAX_GROUP], 2):
            score = names_similar(p[2], q[2])
            if score >= NAME_SIMILARITY:
                pairs.append((*_ordered(p[:2], q[:2]), reason, round(score / 100, 3)))
        if len(pairs) >= 5000:
            flush(reason)
    flush(reason)
    after = by_reason()
    after.subtract(before)
    return +after


@task()
def find_duplicates_task() -> dict:
    """The nightly pass, on a worker (people.scheduled queues it). Rows queued before issue 13 name
    lachan.people.tasks.find_duplicates_task, which re-exports this."""
    return dict(duplicates_detect_all())


def _phone_groups() -> Iterator[list[tuple]]:
    yield from _groups(["phone"], ("search_name",))
    # Second numbers are rarer: look up each one that matches someone else's number.
    active = Person.objects.active()
    shared_alt = (
        active.exclude(phone_alt="")
        .filter(Q(phone_alt__in=active.exclude(phone="").values("phone")) | Q(pk__in=_alt_twice()))
        .values_list("phone_alt", flat=True)
        .distinct()
    )
    for phone in shared_alt.iterator(chunk_size=2000):
        rows = active.filter(Q(phone=phone) | Q(phone_alt=phone)).order_by("created_at", "pk")
        yield list(rows.values_list("pk", "created_at", "search_name")[:MAX_GROUP])


def _alt_twice():
    twice = (
        Person.objects.active().exclude(phone_alt="").values("phone_alt")
        .annotate(n=Count("pk")).filter(n__gt=1).values("phone_alt")
    )
    return Person.objects.active().filter(phone_alt__in=twice).values("pk")


# ---- merging -------------------------------------------------------------------------------------

FILL_FIELDS = ("birth_date", "birth_year", "national_id", "phone", "phone_alt", "address_line", "household_id", "occupation")


def _snapshot(person: Person) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in person._meta.concrete_fields:
        value = getattr(person, field.attname)
        data[field.attname] = value.isoformat() if isinstance(value, date) else (
            str(value) if isinstance(value, UUID) else value
        )
    return data


def _unique_sets(model: type[models.Model], fk_name: str) -> list[tuple[str, ...]]:
    """Other fields that, with the person field, must be unique on a linked model."""
    sets = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and fk_name in constraint.fields and constraint.condition is None:
            sets.append(tuple(f for f in constraint.fields if f != fk_name))
    for together in model._meta.unique_together:
        if fk_name in together:
            sets.append(tuple(f for f in together if f != fk_name))
    return sets


def _move_links(keep: Person, merge: Person) -> dict[str, int]:
    """Every row of every app that points at `merge` now points at `keep` (found through the model
    meta, so links added by later apps move too)."""
    moved: dict[str, int] = {}
    for rel in Person._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model, field = rel.related_model, rel.field
        if model is DuplicateCandidate:
            continue  # handled by the merge itself
        label = f"{model._meta.label_lower}.{field.name}"
        rows = model._base_manager.filter(**{field.name: merge})
        if model is Person and field.name == "merged_into":
            count = rows.update(merged_into=keep)  # earlier tombstones follow to the survivor
        elif rel.one_to_one:
            if model._base_manager.filter(**{field.name: keep}).exists() and rows.exists():
                raise DomainError(
                    PeopleErrorCode.MERGE_CONFLICT,
                    _("Both people have a %(kind)s record; resolve it before merging.") % {"kind": model._meta.verbose_name},
                )
            count = rows.update(**{field.name: keep})
        else:
            count = 0
            sets = _unique_sets(model, field.name)
            if sets:
                dropped = 0
                for row in rows.select_for_update():
                    clash = any(
                        model._base_manager.filter(**{field.name: keep}, **{f: getattr(row, model._meta.get_field(f).attname) for f in fields}).exists()
                        for fields in sets
                    )
                    if clash:
                        row.delete()  # the survivor already has this link
                        dropped += 1
                    else:
                        setattr(row, field.name, keep)
                        row.save(update_fields=[field.name])
                        count += 1
                if dropped:
                    moved[f"{label} (duplicate dropped)"] = dropped
            else:
                count = rows.update(**{field.name: keep})
        if count:
            moved[label] = count
    return moved


def _move_candidates(keep: Person, merge: Person, by) -> None:
    now = timezone.now()
    user = by if by is not None and by.is_authenticated else None
    for cand in DuplicateCandidate.objects.filter(Q(person_a=merge) | Q(person_b=merge)).select_for_update():
        other_id = cand.person_b_id if cand.person_a_id == merge.pk else cand.person_a_id
        if other_id == keep.pk:
            if cand.status == DuplicateStatus.OPEN:
                cand.status, cand.decided_at, cand.decided_by = DuplicateStatus.MERGED, now, user
            cand.person_a_id, cand.person_b_id = (keep.pk, merge.pk)
            try:
                with transaction.atomic():
                    cand.save()
            except IntegrityError:
                cand.delete()
            continue
        # A third record suspected of being the merged one is now suspected of being the survivor.
        other = Person.objects.filter(pk=other_id).values_list("pk", "created_at").first()
        a, b = _ordered((keep.pk, keep.created_at), other)
        if DuplicateCandidate.objects.filter(Q(person_a_id=a, person_b_id=b) | Q(person_a_id=b, person_b_id=a)).exists():
            cand.delete()
        else:
            cand.person_a_id, cand.person_b_id = a, b
            cand.save(update_fields=["person_a", "person_b"])


@transaction.atomic
def person_merge(*, keep: Person, merge: Person, by) -> PersonMerge:
    """`merge` becomes a tombstone of `keep`; everything linked to it now belongs to `keep`."""
    require_perm(by, Perm.PEOPLE_MERGE)
    if keep.pk == merge.pk:
        raise DomainError(PeopleErrorCode.MERGE_SAME, _("A person cannot be merged with themselves."))
    visible = {p.pk: p for p in people_in_scope(by).select_for_update().filter(pk__in=[keep.pk, merge.pk])}
    if len(visible) != 2:
        if Person.objects.filter(pk__in=[keep.pk, merge.pk], merged_into__isnull=False).exists():
            raise DomainError(PeopleErrorCode.MERGE_INACTIVE, _("One of these records has already been merged."))
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("No such person."))
    keep, merge = visible[keep.pk], visible[merge.pk]
    snapshot = _snapshot(merge)
    # The citizen account is a one-to-one link held by the person itself.
    if merge.account_id and keep.account_id:
        raise DomainError(
            PeopleErrorCode.MERGE_BOTH_ACCOUNTS,
            _("Both people have a citizen account; close one of the accounts before merging."),
        )
    account_id = keep.account_id or merge.account_id
    moved = _move_links(keep, merge)
    filled = []
    for field in FILL_FIELDS:
        if not getattr(keep, field) and getattr(merge, field):
            if field == "birth_year" and keep.birth_date:
                continue
            if field == "phone_alt" and getattr(merge, field) == keep.phone:
                continue
            setattr(keep, field, getattr(merge, field))
            filled.append(field)
    if keep.phone and merge.phone and merge.phone != keep.phone and not keep.phone_alt:
        keep.phone_alt = merge.phone  # keep the second number reachable
        filled.append("phone_alt")
    if keep.sex == "U" and merge.sex != "U":
        keep.sex = merge.sex
        filled.append("sex")
    if merge.account_id and not keep.account_id:
        moved["accounts.user.person"] = 1
    merge.account_id = None
    merge.household_id = None  # a tombstone is no longer a household member (the snapshot keeps it)
    merge.merged_into = keep
    merge.changed_by = by if by is not None and by.is_authenticated else None
    merge.save()
    keep.account_id = account_id
    keep.changed_by = merge.changed_by
    keep.save()
    _move_candidates(keep, merge, by)
    person_commune_changed.send(sender=Person, person_ids=[keep.pk])  # the rows moved may name merge's commune
    record = PersonMerge.objects.create(
        kept=keep, merged_id=merge.pk, snapshot=snapshot, moved={**moved, "filled": filled},
        merged_by=merge.changed_by,
    )
    audit_record_many(
        actor=by, action=AuditAction.MERGE, object_type="person", person_ids=[keep.pk, merge.pk],
        detail={"kept": str(keep.pk), "merged": str(merge.pk), "moved": moved},
    )
    return record


def _candidate_for(candidate: DuplicateCandidate | int, by) -> DuplicateCandidate:
    pk = candidate.pk if isinstance(candidate, DuplicateCandidate) else candidate
    visible = people_in_scope(by, include_merged=True)  # a decided pair is still "yours", just closed
    found = (
        DuplicateCandidate.objects.select_for_update()
        .filter(pk=pk, person_a__in=visible.values("pk"), person_b__in=visible.values("pk"))
        .first()
    )
    if found is None:
        raise NotFound(PeopleErrorCode.NOT_FOUND, _("No such duplicate."))
    if found.status != DuplicateStatus.OPEN:
        raise DomainError(PeopleErrorCode.DUPLICATE_CLOSED, _("This pair has already been decided."))
    return found


@transaction.atomic(durable=True)
def duplicate_merge(*, candidate: DuplicateCandidate | int, keep_id: UUID | str, by) -> PersonMerge:
    """Merge the pair of a candidate, keeping the record the reviewer chose."""
    require_perm(by, Perm.PEOPLE_MERGE)
    cand = _candidate_for(candidate, by)
    if str(keep_id) == str(cand.person_a_id):
        keep, merge = cand.person_a, cand.person_b
    elif str(keep_id) == str(cand.person_b_id):
        keep, merge = cand.person_b, cand.person_a
    else:
        raise DomainError(PeopleErrorCode.MERGE_SAME, _("Choose one of the two records to keep."), field="keep")
    return person_merge(keep=keep, merge=merge, by=by)


@transaction.atomic(durable=True)
def duplicate_dismiss(*, candidate: DuplicateCandidate | int, by) -> DuplicateCandidate:
    """Not the same person: the pair is not proposed again."""
    require_perm(by, Perm.PEOPLE_MERGE)
    cand = _candidate_for(candidate, by)
    cand.status = DuplicateStatus.DISMISSED
    cand.decided_at = timezone.now()
    cand.decided_by = by if by is not None and by.is_authenticated else None
    cand.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record_many(
        actor=by, action=AuditAction.UPDATE, object_type="duplicate", person_ids=[cand.person_a_id, cand.person_b_id],
        detail={"duplicate": cand.pk, "decision": "dismissed"},
    )
    return cand
