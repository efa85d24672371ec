"""Quarantine and isolation from tracing and cases (DESIGN §4: case → tracing → quarantine), and the tests the
orders require as sampling tasks for the laboratory.

- A case's F1 contacts (tracing Contact rows of tier 1) get quarantine orders at once: at home in the contact's
  commune, day 1 the day of the last exposure, immunity unknown (the platform has no vaccination record yet),
  the index case named. Who already has an order in force (or overlapping) is skipped and reported; who is a
  case in isolation, or whose quarantine would already be over, is left out and counted. The contacts given an
  order (or already in one) are marked "quarantined" on the call list.
- A confirmed case gets an isolation order; a quarantine order in force for the same person ends the day before
  (reason: confirmed as a case), and the case's status follows the setting (at home / in a facility).
- Tests due: the required tests of the orders in force due on a day (and those overdue), per commune, for the
  station or the lab planner to swab; a swab of that person registered in the laboratory on or after the due
  day marks the test sampled (`quarantine_tests_sampled`, called by the laboratory's sample hook, wired in
  lachan.workflows.apps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.actors import may
from lachan.accounts.audit import audit_record_many
from lachan.accounts.roles import Perm
from lachan.cases.models import ACTIVE_STATUSES, Case, CaseStatus
from lachan.cases.services import case_set_status
from lachan.core.errors import DomainError
from lachan.core.policies import policy_in_force, policy_rules
from lachan.people.access import people_in_scope
from lachan.quarantine import orders
from lachan.quarantine.access import order_scope_q, require_perm
from lachan.quarantine.errors import QuarantineErrorCode
from lachan.quarantine.models import (
    Immunity,
    Order,
    OrderKind,
    OrderStatus,
    RequiredTest,
    Setting,
    TestStatus,
)
from lachan.quarantine.policy import POLICY_KIND, base_day, regime
from lachan.tracing.models import CallStatus, Contact, Tier
from lachan.tracing.selectors import contacts_in_scope

# ---- a case's F1s -----------------------------------------------------------------------------------------

@dataclass
class ContactsPlan:
    """What quarantining a case's F1s would do (the preview) and the contacts it would order."""

    case: Case
    starts_on: date
    f1: int = 0  # F1s of the case the user sees
    to_order: list[Contact] = field(default_factory=list)
    in_order: list[Contact] = field(default_factory=list)  # an order in force already
    cases: list[Contact] = field(default_factory=list)  # themselves a case (isolated, not quarantined)
    over: list[Contact] = field(default_factory=list)  # their days counted from the exposure are past
    outside: int = 0  # F1s living outside the user's jurisdiction (their commune's station orders them)
    policy_version: str = ""
    no_quarantine: bool = False  # the policy in force quarantines no contacts


def case_contacts_plan(*, case: Case, user, starts_on: date | None = None) -> ContactsPlan:
    """The case's F1s the user sees, sorted into those to order and those left out (and why)."""
    require_perm(user, Perm.QUARANTINE_EDIT)
    starts_on = starts_on or timezone.localdate()
    plan = ContactsPlan(case=case, starts_on=starts_on)
    contacts = list(contacts_in_scope(user).filter(index_case=case, tier=Tier.F1).order_by("person__search_name"))
    plan.f1 = len(contacts)
    visible = set(people_in_scope(user).filter(pk__in=[c.person_id for c in contacts]).values_list("pk", flat=True))
    in_force = set(Order.objects.filter(person_id__in=[c.person_id for c in contacts], status=OrderStatus.ACTIVE)
                   .values_list("person_id", flat=True))
    cases = set(Case.objects.filter(person_id__in=[c.person_id for c in contacts], status__in=ACTIVE_STATUSES)
                .values_list("person_id", flat=True))
    rules = policy_rules(POLICY_KIND, starts_on) or {}
    try:
        plan.policy_version = policy_in_force(POLICY_KIND, starts_on).version
    except DomainError:
        plan.policy_version = ""
    reg = regime(rules, kind=OrderKind.QUARANTINE, immunity=Immunity.UNKNOWN) if rules else None
    plan.no_quarantine = reg is None
    for contact in contacts:
        if contact.person_id not in visible:
            plan.outside += 1
        elif contact.person_id in in_force:
            plan.in_order.append(contact)
        elif contact.person_id in cases:
            plan.cases.append(contact)
        elif reg is not None and base_day(reg, starts_on=starts_on, exposed_on=_exposed_on(contact, starts_on)) \
                + timedelta(days=reg.days - 1) < starts_on:
            plan.over.append(contact)
        else:
            plan.to_order.append(contact)
    return plan


def _exposed_on(contact: Contact, starts_on: date) -> date:
    return min(timezone.localdate(contact.exposed_at), starts_on)


@dataclass
class ContactsQuarantined:
    plan: ContactsPlan
    result: orders.OrdersCreated
    marked: int  # contacts marked "quarantined" on the call list


@transaction.atomic
def case_contacts_quarantine(*, case: Case, by, starts_on: date | None = None, tell: bool = False,
                             base_url: str = "") -> ContactsQuarantined:
    """Quarantine orders for the case's F1s that need one, all at once (all or nothing; see case_contacts_plan
    for who is left out). tell: each person gets their order and daily check-in link by SMS."""
    plan = case_contacts_plan(case=case, user=by, starts_on=starts_on)
    if plan.no_quarantine and (plan.to_order or plan.over):
        raise DomainError(QuarantineErrorCode.POLICY_MISSING,
                          _("Under the policy in force on %(date)s (%(version)s) contacts are not quarantined.")
                          % {"date": plan.starts_on.strftime("%d/%m/%Y"), "version": plan.policy_version or "—"},
                          field="starts_on")
    items = [orders.OrderIn(person=c.person, kind=OrderKind.QUARANTINE, setting=Setting.HOME,
                            starts_on=plan.starts_on, exposed_on=_exposed_on(c, plan.starts_on),
                            immunity=Immunity.UNKNOWN, case=case.pk, contact_tier=Tier.F1, commune=c.commune)
             for c in plan.to_order]
    result = (orders.orders_create_many(items=items, by=by, notify=tell, base_url=base_url) if items
              else orders.OrdersCreated())
    ordered = {c.person_id for c in result.created} | {s.person_id for s in result.skipped}
    ordered |= {c.person_id for c in plan.in_order}
    contact_ids = [c.pk for c in [*plan.to_order, *plan.in_order] if c.person_id in ordered]
    marked = 0
    if contact_ids:
        marked = Contact.objects.filter(pk__in=contact_ids).exclude(call_status=CallStatus.QUARANTINED).update(
            call_status=CallStatus.QUARANTINED, called_at=timezone.now(),
            called_by=by if getattr(by, "is_authenticated", False) else None)
        audit_record_many(actor=by, action="contact.call", object_type="person",
                          person_ids=[c.person_id for c in [*plan.to_order, *plan.in_order] if c.pk in contact_ids],
                          detail={"status": CallStatus.QUARANTINED, "case": case.code})
    return ContactsQuarantined(plan=plan, result=result, marked=marked)


# ---- a case's isolation --------------------------------------------------------------------------------------

@transaction.atomic
def case_isolate(*, case: Case, by, setting: str = Setting.HOME, facility=None, room=None,
                 starts_on: date | None = None, immunity: str = Immunity.UNKNOWN, address: str = "",
                 latitude: float | None = None, longitude: float | None = None, tell: bool = False,
                 base_url: str = "") -> Order:
    """The case's isolation order (from the day of isolation unless given). A quarantine order in force for the
    person ends the day before; the case's status follows where they isolate. tell: as order_create."""
    require_perm(by, Perm.QUARANTINE_EDIT)
    if case.status not in ACTIVE_STATUSES:
        raise DomainError(QuarantineErrorCode.ORDER_INVALID,
                          _("Case %(code)s is %(status)s: it is not isolated any more.")
                          % {"code": case.code, "status": case.get_status_display()}, field="case")
    today = timezone.localdate()
    starts_on = starts_on or min(timezone.localdate(case.isolated_at), today)
    current = Order.objects.filter(order_scope_q(by), person_id=case.person_id, status=OrderStatus.ACTIVE).first()
    if current is not None and current.kind == OrderKind.QUARANTINE:
        # Ended the day before the isolation starts (before its own first day if it began that day: it then
        # counts for no day, and the two orders do not overlap).
        orders.order_end_early(order=current, by=by, on=min(starts_on - timedelta(days=1), today),
                               reason=_("Confirmed as case %(code)s: isolated under a new order.") % {"code": case.code})
    order = orders.order_create(person=case.person, kind=OrderKind.ISOLATION, setting=setting, starts_on=starts_on,
                                immunity=immunity, case=case.pk, facility=facility, room=room, address=address,
                                latitude=latitude, longitude=longitude, by=by, notify=tell, base_url=base_url)
    wanted = CaseStatus.ISOLATING_FACILITY if setting == Setting.FACILITY else CaseStatus.ISOLATING_HOME
    if case.status in (CaseStatus.ISOLATING_HOME, CaseStatus.ISOLATING_FACILITY) and case.status != wanted and (
            may(by, Perm.CASES_EDIT)):
        case_set_status(case=case, status=wanted, note=_("Isolation order %(code)s") % {"code": order.code}, by=by)
    return order


# ---- tests due, as the laboratory's sampling tasks ---------------------------------------------------------------

def tests_due(*, user, on: date | None = None, commune_id: int | None = None, overdue: bool = True
              ) -> QuerySet[RequiredTest]:
    """Required tests to take on a day (and, with `overdue`, those of earlier days not yet taken), of the orders in
    force the user sees, by commune then person."""
    require_perm(user, Perm.QUARANTINE_VIEW)
    on = on or timezone.localdate()
    due = Q(due_on=on, status=TestStatus.PLANNED)
    if overdue:
        due |= Q(due_on__lt=on, status__in=[TestStatus.PLANNED, TestStatus.MISSED])
    queryset = (RequiredTest.objects.select_related("order__person", "order__commune__parent", "order__facility__place",
                                                    "order__room")
                .filter(due, order__status=OrderStatus.ACTIVE).filter(order_scope_q(user, prefix="order__")))
    if commune_id:
        queryset = queryset.filter(order__commune_id=commune_id)
    return queryset.order_by("order__commune__name", "due_on", "order__person__search_name", "pk")


def tests_audited(*, user, tests) -> None:
    person_ids = [t.order.person_id for t in tests]
    if person_ids:
        audit_record_many(actor=user, action="order.tests_due", object_type="person", person_ids=person_ids)


def quarantine_tests_sampled(*, sample, swabs, **_signal) -> int:
    """Connected to labs.signals.sample_registered: each swabbed person's test due (on or before the day of
    collection) is marked sampled with this sample."""
    on = timezone.localdate(sample.collected_at)
    return orders.tests_mark_sampled(swabs=[(s.person_id, sample.pk, on) for s in swabs])


FINAL_OUTCOMES = ("negative", "positive")  # labs.SwabOutcome values that answer a required test


def quarantine_tests_results() -> int:
    """Required tests sampled whose tube has a released result get it (a periodic job, lachan.workflows.apps):
    negative or positive → done with that result; a positive pool's member, an unclear result or a rejected
    tube → planned again (to be swabbed again, the result kept as why). Returns how many tests changed."""
    from lachan.labs.models import Swab

    sampled = list(RequiredTest.objects.filter(status=TestStatus.SAMPLED, sample__released_at__isnull=False)
                   .values_list("pk", "sample_id", "order__person_id")[:20000])
    if not sampled:
        return 0
    outcome_of = {(sample_id, person_id): outcome for sample_id, person_id, outcome in Swab.objects.filter(
        sample_id__in={s for _pk, s, _p in sampled}, person_id__in={p for _pk, _s, p in sampled},
    ).exclude(outcome="pending").values_list("sample_id", "person_id", "outcome")}
    by_outcome: dict[str, list] = {}
    for pk, sample_id, person_id in sampled:
        outcome = outcome_of.get((sample_id, person_id))
        if outcome:
            by_outcome.setdefault(outcome, []).append(pk)
    changed = 0
    with transaction.atomic():
        for outcome, pks in by_outcome.items():
            if outcome in FINAL_OUTCOMES:
                changed += RequiredTest.objects.filter(pk__in=pks).update(status=TestStatus.DONE, result=outcome)
            else:
                changed += RequiredTest.objects.filter(pk__in=pks).update(status=TestStatus.PLANNED, sample=None,
                                                                          result=outcome)
    return changed
