"""Finding and removing the synthetic province: every row whose id is below SYNTH_ID_LIMIT."""

from __future__ import annotations

from django.db.models import Q

from lachan.accounts.models import User
from lachan.checkpoints.models import Checkpoint
from lachan.enterprises.models import Enterprise, Team, Worker, Workshop
from lachan.geo.models import Place
from lachan.labs.models import Laboratory
from lachan.people.models import DuplicateCandidate, Household, Person
from lachan.venues.models import Venue

from ..labs import labs_synthetic_delete
from ..models import SyntheticRun
from .common import SYNTH_ID_LIMIT


def synthetic_exists() -> bool:
    return Person.objects.filter(id__lt=SYNTH_ID_LIMIT).exists() or Place.objects.filter(id__lt=SYNTH_ID_LIMIT).exists()


def real_data_exists() -> bool:
    return Person.objects.filter(id__gte=SYNTH_ID_LIMIT).exists() or Place.objects.filter(id__gte=SYNTH_ID_LIMIT).exists()


def synthetic_delete() -> None:
    """Remove every synthetic row (ids below SYNTH_ID_LIMIT). Accounts bound to a synthetic place are
    unbound and deactivated (demo_setup binds them again)."""
    limit = SYNTH_ID_LIMIT
    places = Place.objects.filter(id__lt=limit)
    User.objects.filter(jurisdiction_place__in=places).update(jurisdiction_place=None, is_active=False)
    Person.objects.filter(id__lt=limit, account__isnull=False).update(account=None)
    labs_synthetic_delete(limit)  # tubes and campaigns of its laboratories and people, before them
    for model in (Worker, Team, Workshop, Enterprise, Venue, Laboratory, Checkpoint):
        model.objects.filter(id__lt=limit)._raw_delete(model.objects.db)
    DuplicateCandidate.objects.filter(person_a_id__lt=limit).delete()
    DuplicateCandidate.objects.filter(person_b_id__lt=limit).delete()
    _records_of_synthetic_people_delete(limit)
    _quarantine_facilities_delete(limit)  # the demo's, once their orders (of synthetic people) are gone
    Place.objects.filter(id__lt=limit)._raw_delete(Place.objects.db)
    Person.objects.filter(id__lt=limit)._raw_delete(Person.objects.db)
    Household.objects.filter(id__lt=limit)._raw_delete(Household.objects.db)
    SyntheticRun.objects.all().delete()


def _records_of_synthetic_people_delete(limit) -> None:
    """Check-ins (tens of millions: a raw delete), then whatever else points at synthetic people —
    cases, contacts, proximity logs, and the records of capabilities still to come — through the ORM,
    so their own cascades run."""
    from lachan.venues.models import CheckIn

    CheckIn.objects.filter(Q(person_id__lt=limit) | Q(venue_id__lt=limit))._raw_delete(CheckIn.objects.db)
    done = {Person, Worker, DuplicateCandidate, CheckIn}
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if model in done or relation.many_to_many:
            continue
        model.objects.filter(**{f"{relation.field.attname}__lt": limit}).delete()


def _quarantine_facilities_delete(limit) -> None:
    from lachan.quarantine.models import Facility, FacilityRoom

    FacilityRoom.objects.filter(facility_id__lt=limit).delete()
    Facility.objects.filter(id__lt=limit).delete()
