"""Reads of contacts: a tracing report per case, call lists per commune, the transmission chain."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from django.db.models import Count, F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record, audit_record_many, audit_rows
from lachan.accounts.jurisdiction import scope_for
from lachan.accounts.roles import Perm
from lachan.cases.models import Case
from lachan.cases.selectors import case_get, cases_in_scope
from lachan.core.dates import local_midnight
from lachan.core.errors import NotFound
from lachan.core.pagination import Page, page_number, page_of
from lachan.geo.models import AdminUnit

from .access import require_perm
from .errors import TracingErrorCode
from .models import Contact, Exposure, InterviewContact, TracingRun, tier_rank


def contacts_in_scope(user) -> QuerySet[Contact]:
    queryset = Contact.objects.select_related("person", "commune__parent", "index_case", "via")
    if is_system(user):
        return queryset
    return queryset.filter(scope_for(user).commune_q("commune"))


REPORT_PAGE_SIZE = 50  # contacts of one tier on one page of the report (its Excel export has them all)


def _report_head(*, user, case_id) -> tuple[Case, TracingRun | None]:
    case = case_get(user=user, case_id=case_id)
    return case, TracingRun.objects.filter(case=case).first()


def _report_contacts(*, user, case) -> QuerySet[Contact]:
    return (contacts_in_scope(user).filter(index_case=case)
            .prefetch_related(Prefetch("exposures", queryset=Exposure.objects.order_by("start"))))


def tracing_report(*, user, case_id) -> dict:
    """The case, its last run, all its contacts (those the user may see) by tier with their evidence: the API and
    the Excel export. The page reads one page of each tier (tracing_report_page)."""
    case, run = _report_head(user=user, case_id=case_id)
    contacts = list(_report_contacts(user=user, case=case).order_by("tier", "person__search_name"))
    if contacts:
        audit_record_many(actor=user, action="contact.view", object_type="contact",
                          person_ids=[c.person_id for c in contacts], detail={"case": case.code})
    by_tier = defaultdict(list)
    for contact in contacts:
        by_tier[contact.tier].append(contact)
    tiers = [(tier, by_tier[tier]) for tier in sorted(by_tier, key=tier_rank)]
    return {
        "case": case, "run": run, "contacts": contacts, "tiers": tiers,
    }


def tracing_report_page(*, user, case_id, pages: dict[int, object] | None = None,
                        size: int = REPORT_PAGE_SIZE) -> dict:
    """The report's page: the case, its last run, and for each tier the number of contacts the user may see and one
    page of them (`pages`: tier → page number, the first by default), with their evidence. Only the contacts shown
    are read and audited: a case with hundreds of F2s is a few pages, not one page of every contact."""
    case, run = _report_head(user=user, case_id=case_id)
    counts = dict(contacts_in_scope(user).filter(index_case=case).order_by().values_list("tier")
                  .annotate(n=Count("pk")).values_list("tier", "n"))
    tiers, shown = [], []
    for tier in sorted(counts, key=tier_rank):
        page = page_of(_report_contacts(user=user, case=case).filter(tier=tier).order_by("person__search_name", "pk"),
                       page=(pages or {}).get(tier), size=size)
        tiers.append({"tier": tier, "count": counts[tier], "page": page})
        shown += page.items
    if shown:
        audit_record_many(actor=user, action="contact.view", object_type="contact",
                          person_ids=[c.person_id for c in shown], detail={"case": case.code})
    return {"case": case, "run": run, "tiers": tiers, "total": sum(counts.values())}


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
    # Newest exposure first (those to reach today), an index order: sorting every contact of a province by commune
    # name took a second at 20,000 people.
    return queryset.order_by("-exposed_at", "-pk")


def contact_get(*, user, contact_id) -> Contact:
    contact = contacts_in_scope(user).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(TracingErrorCode.CONTACT_NOT_FOUND, _("Contact not found."))
    return contact


def person_tier(*, person_id) -> int | None:
    """The person's tier overall: the closest over every index case."""
    tiers = list(Contact.objects.filter(person_id=person_id).values_list("tier", flat=True))
    return min(tiers, key=tier_rank) if tiers else None


CHAIN_DAYS = 14  # the chain's window when none is chosen: the last two weeks of cases in the jurisdiction
CHAIN_MAX_CASES = 80  # cases drawn (newest first); the text list below the graph pages through all of them
CHAIN_MAX_NODES = 400  # every node drawn: cases, their infectors, F1s and F2s
CHAIN_LIST_SIZE = 25
CHAIN_COUNT_MAX = 1000  # cases counted: beyond, "more than 1,000" (a province's two weeks are ~13,000 at 1,000,000 people)
CHAIN_CLUSTER_CHOICES = 300


@dataclass
class ChainFilter:
    cluster_id: UUID | None = None
    commune_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def chain_cases(*, user, where: ChainFilter, visible: QuerySet[Case] | None = None
                ) -> tuple[QuerySet[Case], ChainFilter]:
    """The cases of the chain, newest first, and the filter actually applied: without a cluster or dates, the
    CHAIN_DAYS days up to the last case the user may see (bounded, and never empty when there are cases).
    `visible`: cases_in_scope(user), when the caller has it already."""
    require_perm(user, Perm.CASES_VIEW)
    cases = visible if visible is not None else cases_in_scope(user)
    if where.cluster_id:
        cases = cases.filter(cluster_id=where.cluster_id)
    if where.commune_id:
        cases = cases.filter(commune_id=where.commune_id)
    if where.date_from is None and where.date_to is None and not where.cluster_id:
        # The last month's first: with a range on the date, SQLite walks the newest cases back to the reader's last
        # one, instead of every case of a commune's 10,000 people (0.1 s at 1,000,000 people).
        newest = cases.order_by("-confirmed_at").values_list("confirmed_at", flat=True)
        last = (newest.filter(confirmed_at__gte=timezone.now() - timedelta(days=CHAIN_DAYS * 2)).first()
                or newest.first())
        if last is not None:
            to = timezone.localtime(last).date()
            where = replace(where, date_from=to - timedelta(days=CHAIN_DAYS - 1), date_to=to)
    if where.date_from:
        cases = cases.filter(confirmed_at__gte=local_midnight(where.date_from))
    if where.date_to:
        cases = cases.filter(confirmed_at__lt=local_midnight(where.date_to + timedelta(days=1)))
    return cases.order_by("-confirmed_at", "-id"), where


def _tier_counts(contacts: QuerySet[Contact], case_ids) -> dict:
    counts: dict = defaultdict(dict)
    for case_id, tier, n in (contacts.filter(index_case_id__in=case_ids, tier__in=[1, 2]).order_by()
                             .values_list("index_case_id", "tier").annotate(n=Count("pk"))
                             .values_list("index_case_id", "tier", "n")):
        counts[case_id][tier] = n
    return counts


def _infectors(visible: QuerySet[Case], cases: list[Case]) -> dict:
    """Case pk → (the case that listed this case's person as F1/F2, the tier), among the cases the user may see."""
    listed = (Contact.objects.filter(person_id__in=[c.person_id for c in cases], tier__in=[1, 2])
              .values_list("person_id", "index_case_id", "tier"))
    by_person = defaultdict(list)
    for person_id, index_case_id, tier in listed:
        by_person[person_id].append((index_case_id, tier))
    if not by_person:
        return {}
    visible = {c.pk: c for c in visible.filter(pk__in={i for rows in by_person.values() for i, _t in rows})}
    out = {}
    for case in cases:
        earlier = [(tier, visible[i].confirmed_at, visible[i]) for i, tier in by_person.get(case.person_id, [])
                   if i in visible and i != case.pk and visible[i].confirmed_at <= case.confirmed_at]
        if earlier:
            tier, _at, infector = min(earlier, key=lambda e: (e[0], -e[1].timestamp()))
            out[case.pk] = (infector, tier)
    return out


def transmission_chain(*, user, where: ChainFilter | None = None, page=1, max_cases: int = CHAIN_MAX_CASES,
                       max_nodes: int = CHAIN_MAX_NODES) -> dict:
    """The transmission chain of the cases the user may see: a graph (nodes and edges, bounded: the newest
    `max_cases` cases, the cases that infected them, then their F1s and F2s while fewer than `max_nodes` nodes are
    drawn, each case getting its share) and a text list of every matching case, a page at a time, with its F1/F2
    counts, who infected it and whom it infected. Contacts are those in the user's jurisdiction."""
    visible_cases, visible_contacts = cases_in_scope(user), contacts_in_scope(user)  # the jurisdiction read once
    cases_qs, where = chain_cases(user=user, where=where or ChainFilter(), visible=visible_cases)
    # One read of the newest CHAIN_COUNT_MAX + 1 cases' ids gives the count ("more than 1,000" beyond: counting a
    # province's 13,000 cases of two weeks joined to their people took 300 ms), the cases drawn, a list page and the
    # clusters offered: a commune's cases are found among the window's by their people, so each read of the window
    # costs the same whatever its LIMIT (0.1–0.5 s on SQLite at 1,000,000 people).
    head = list(cases_qs.values_list("pk", "cluster_id")[:CHAIN_COUNT_MAX + 1])
    total_more = len(head) > CHAIN_COUNT_MAX
    total = min(len(head), CHAIN_COUNT_MAX)

    def cases_of(ids: list) -> list[Case]:
        found = cases_qs.in_bulk(ids) if ids else {}
        return [found[pk] for pk in ids if pk in found]

    drawn = cases_of([pk for pk, _cluster in head[:max_cases]])
    infectors = _infectors(visible_cases, drawn)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    case_node = {}

    def add_case(case, *, outside=False):
        key = f"c{case.pk.hex}"
        if key not in nodes:
            nodes[key] = {"id": key, "kind": "case", "label": case.code, "title": case.person.full_name,
                          "url": reverse("tracing:report", args=[case.pk]), "outside": outside}
            case_node[case.person_id] = key
        return key

    for case in drawn:
        add_case(case)
    for case in drawn:
        if case.pk in infectors:
            infector, tier = infectors[case.pk]
            edges.append({"from": add_case(infector, outside=True), "to": case_node[case.person_id],
                          "kind": "infected", "tier": tier})
    counts = _tier_counts(visible_contacts, [c.pk for c in drawn])
    # Each case's share of the remaining nodes (at least 2), its F1s first then F2s, those who became cases first.
    room = max(0, max_nodes - len(nodes))
    share = max(2, room // max(1, len(drawn)))
    contacts = []
    if drawn and room:
        # Ranked in the database over the (index_case, tier, id, commune) index; only the ids chosen are read, and
        # only the fields drawn (model instances of 400 contacts with their people and communes: a third of the page).
        ranked = (Contact.objects.filter(visible_contacts.query.where, index_case_id__in=[c.pk for c in drawn],
                                         tier__in=[1, 2])
                  .annotate(rank=Window(RowNumber(), partition_by=[F("index_case_id")],
                                        order_by=[F("tier").asc(), F("id").asc()]))
                  .filter(rank__lte=share).order_by("tier", "rank", "index_case_id").values_list("id", flat=True))
        chosen = list(ranked[:room])
        by_id = {row[0]: row for row in Contact.objects.filter(visible_contacts.query.where, pk__in=chosen).values_list(
            "id", "index_case_id", "person_id", "tier", "via_id", "person__full_name", "commune_id")}
        contacts = [by_id[i] for i in chosen if i in by_id]
    communes = AdminUnit.objects.select_related("parent").in_bulk({row[-1] for row in contacts})
    contact_count = 0
    linked = {(e["from"], e["to"]) for e in edges}
    for _id, index_case_id, person_id, tier, via_id, full_name, commune_id in contacts:
        index_key = f"c{index_case_id.hex}"
        if person_id in case_node:  # the contact is (or became) one of the drawn cases
            target = case_node[person_id]
            if (index_key, target) not in linked:
                linked.add((index_key, target))
                edges.append({"from": index_key, "to": target, "kind": "infected", "tier": tier})
            continue
        key = f"p{person_id.hex}"
        if key not in nodes:
            nodes[key] = {"id": key, "kind": f"f{tier}", "label": full_name, "title": communes[commune_id].label}
            contact_count += 1
        source = index_key
        if tier == 2 and via_id:
            source = case_node.get(via_id) or (f"p{via_id.hex}" if f"p{via_id.hex}" in nodes else index_key)
        edges.append({"from": source, "to": key, "kind": f"f{tier}"})
    in_scope_contacts = sum(sum(c.values()) for c in counts.values())
    audit_record(actor=user, action="chain.view", object_type="case",
                 detail={"cases": total, **({"cases_more": True} if total_more else {}), "drawn": len(drawn), "contacts": contact_count,
                         **{k: str(v) for k, v in asdict(where).items() if v}})
    number = page_number(page)
    start = (number - 1) * CHAIN_LIST_SIZE
    if start + CHAIN_LIST_SIZE < len(head) or not total_more:  # the page is among the ids read
        listed = Page(items=cases_of([pk for pk, _c in head[start:start + CHAIN_LIST_SIZE]]), number=number,
                      size=CHAIN_LIST_SIZE, has_next=start + CHAIN_LIST_SIZE < len(head))
    else:
        listed = page_of(cases_qs, page=number, size=CHAIN_LIST_SIZE)
    list_counts = _tier_counts(visible_contacts, [c.pk for c in listed.items])
    list_infectors = _infectors(visible_cases, listed.items)
    infected = defaultdict(list)
    for index_case_id, case_pk, code in (
            # The case a contact became is the contact's own person's: visible when that person lives in the
            # jurisdiction (a condition on the row joined, not a subquery over every visible case: 1.3 s on SQLite).
            visible_contacts.filter(scope_for(user).person_q(person_field="person"),
                                    index_case_id__in=[c.pk for c in listed.items], tier__in=[1, 2],
                                    person__cases__isnull=False)
            .values_list("index_case_id", "person__cases__id", "person__cases__code")):
        infected[index_case_id].append({"pk": case_pk, "code": code})
    for case in listed.items:
        case.chain_f1 = list_counts.get(case.pk, {}).get(1, 0)
        case.chain_f2 = list_counts.get(case.pk, {}).get(2, 0)
        case.chain_infector = list_infectors.get(case.pk, (None, None))[0]
        case.chain_infected = [i for i in infected.get(case.pk, []) if i["pk"] != case.pk]
    # The clusters to choose from: those of the newest cases of these days (and commune) — not every cluster the
    # reader may see (thousands over a year, and each checked against the jurisdiction: over a second at 1,000,000
    # people), nor every cluster of the window (1,444 among a province's 13,000 cases of two weeks: 90 ms).
    if where.cluster_id:  # the other clusters of these days
        window, _where = chain_cases(user=user, where=replace(where, cluster_id=None), visible=visible_cases)
        newest = list(window.exclude(cluster_id=None).values_list("cluster_id", flat=True)[:CHAIN_COUNT_MAX + 1])
    else:
        newest = [cluster for _pk, cluster in head if cluster]
    cluster_ids = list(dict.fromkeys(newest))[:CHAIN_CLUSTER_CHOICES]
    return {
        "cluster_ids": cluster_ids,
        "where": where, "total": total, "total_more": total_more, "drawn_cases": len(drawn), "cases_left_out": total - len(drawn),
        "contacts_drawn": contact_count, "contacts_left_out": max(0, in_scope_contacts - len(contacts)),
        "graph": {"nodes": list(nodes.values()), "edges": edges}, "page": listed,
        "limits": {"cases": max_cases, "nodes": max_nodes},
    }
