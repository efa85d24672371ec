"""A case's commune follows its person's commune of residence."""

from django.dispatch import receiver

from lachan.people.models import Person
from lachan.people.signals import person_commune_changed

from .models import Case


@receiver(person_commune_changed)
def cases_follow_commune(sender, *, person_ids, **kwargs) -> int:
    """Each of these people's cases takes the person's commune (in the caller's transaction); returns the rows
    changed."""
    changed = 0
    for person_id, commune_id in Person.objects.filter(pk__in=list(person_ids)).values_list("pk", "commune_id"):
        changed += Case.objects.filter(person_id=person_id).exclude(commune_id=commune_id).update(commune_id=commune_id)
    return changed
