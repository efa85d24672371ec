"""Links a newly registered citizen account to the citizen's own record."""

import logging

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver

from lachan.accounts.audit import audit_record
from lachan.accounts.models import AuditAction
from lachan.accounts.signals import citizen_registered
from lachan.core.text import fold

from .duplicates import names_similar
from .models import Person

logger = logging.getLogger(__name__)


@receiver(citizen_registered)
def link_citizen_account(sender, *, user, full_name: str, birth_date, **kwargs) -> Person | None:
    """The phone is proven by the SMS code; the record must also have that birth date and a similar name,
    and be the only such record (so a relative sharing the phone is never linked by mistake)."""
    candidates = [
        person for person in Person.objects.active().filter(
            Q(phone=user.phone) | Q(phone_alt=user.phone), birth_date=birth_date, account__isnull=True,
        )[:5]
        if names_similar(person.search_name, fold(full_name)) >= 85
    ]
    if len(candidates) != 1:
        logger.info("citizen %s: %d matching records, not linked", user.pk, len(candidates))
        return None
    person = candidates[0]
    with transaction.atomic():
        Person.objects.filter(pk=person.pk, account__isnull=True).update(account=user)
        audit_record(actor=user, action=AuditAction.UPDATE, object_type="person", object_id=person.pk,
                     person_id=person.pk, detail={"change": "citizen account linked"})
    return person
