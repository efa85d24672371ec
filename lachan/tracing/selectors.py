"""Reads of contacts: a tracing report per case, call lists per commune, the transmission chain."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record, audit_record_many, audit_rows
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.cases.models import Case
from lachan.cases.selectors import case_get, cases_in_scope
from lachan.cases.services import require_perm
from lachan.core.errors import NotFound

from .errors import TracingErrorCode
from .models import Contact, Exposure, InterviewContact, TracingRun, tier_rank


def contacts_in_scope(user) -> QuerySet[Contact]:
    queryset = Contact.objects.select_related("person", "commune__parent", "index_case", "via")
    if user is None:
        return queryset
    return queryset.filter(scope_for(user).commune_q("commune"))


def tracing_report(*, user, case_id) -> dict:
    """The case, its last run, its contacts (those the user may see) by tier with their evidence."""
    case = case_get(user=user, case_id=case_id)
    contacts = list(
        contacts_in_scope(user).filter(index_case=case)
        .prefetch_related(Prefetch("exposures", queryset=Exposure.objects.order_by("start")))
        .order_by("tier", "person__search_name")
    )
    if contacts:
        audit_record_many(actor=user, action="contact.view", object_type="contact",
                          person_ids=[c.person_id for c in contacts], detail={"case": case.code})
    by_tier = defaultdict(list)
    for contact in contacts:
        by_tier[contact.tier].append(contact)
    tiers = [(tier, by_tier[tier]) for tier in sorted(by_tier, key=tier_rank)]
    return {
        "case": case, "run": TracingRun.objects.filter(case=case).first(), "contacts": contacts, "tiers": tiers,
    }


@dataclass
class InterviewRows:
    visible: list[InterviewContact]
    hidden: int  # named people living outside the reader's jurisdiction: counted, not shown


def interview_contacts(*, user, case: Case) -> InterviewRows:
    """The contacts a case named in its interview, with the interviewer's notes, newest first: those living
    in the reader's jurisdiction (as the report's contacts: by commune), the others only counted. The
    read is audited, one event per person shown."""
    named = InterviewContact.objects.filter(case=case)
    visible = list(named.filter(scope_for(user).commune_q("person__commune")).select_related("person__commune__parent")
                   .order_by("-last_contact_at", "pk"))
    if visible:
        audit_record_many(actor=user, action="interview.view", object_type="interview_contact",
                          person_ids=[i.person_id for i in visible], detail={"case": case.code})
    return InterviewRows(visible=visible, hidden=named.count() - len(visible))


def contacts_audited(*, user, contacts, action: str = "contact.call_list") -> None:
    """A page of the call list read (names and phones): one audit event per person shown."""
    audit_rows(actor=user, action=action, object_type="contact", rows=contacts)


def call_list(*, user, commune_id: int | None = None, status: str = "", tier: int | None = None) -> QuerySet[Contact]:
    require_perm(user, Perm.CONTACTS_CALL)
    queryset = contacts_in_scope(user)
    if commune_id:
        queryset = queryset.filter(commune_id=commune_id)
    if status:
        queryset = queryset.filter(call_status=status)
    if tier is not None:
        queryset = queryset.filter(tier=tier)
    return queryset.order_by("commune__name", "call_status", "tier", "-exposed_at", "pk")


def contact_get(*, user, contact_id) -> Contact:
    contact = contacts_in_scope(user).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(TracingErrorCode.CONTACT_NOT_FOUND, _("Contact not found."))
    return contact


def person_tier(*, person_id) -> int | None:
    """The person's tier overall: the closest over every index case."""
    tiers = list(Contact.objects.filter(person_id=person_id).values_list("tier", flat=True))
    return min(tiers, key=tier_rank) if tiers else None


def transmission_chain(*, user, cluster_id=None, limit: int = 60) -> dict:
    """Cases the user may see, newest first, with their F1/F2 contacts; contacts who became cases link."""
    require_perm(user, Perm.CASES_VIEW)
    cases = cases_in_scope(user)
    if cluster_id:
        cases = cases.filter(cluster_id=cluster_id)
    cases = list(cases.order_by("-confirmed_at")[:limit])
    case_of_person = {c.person_id: c for c in Case.objects.filter(person_id__in=list(
        Contact.objects.filter(index_case__in=cases).values_list("person_id", flat=True)))}
    contacts = defaultdict(list)
    for contact in contacts_in_scope(user).filter(index_case__in=cases, tier__in=[1, 2, 3]).order_by("tier"):
        contact.became_case = case_of_person.get(contact.person_id)
        contacts[contact.index_case_id].append(contact)
    audit_record(actor=user, action="chain.view", object_type="case", detail={"cases": len(cases)})
    clusters = defaultdict(list)
    for case in cases:
        case.chain_contacts = contacts[case.pk]
        clusters[case.cluster].append(case)
    return {"cases": cases, "clusters": sorted(clusters.items(), key=lambda kv: (kv[0] is None, str(kv[0] or "")))}
