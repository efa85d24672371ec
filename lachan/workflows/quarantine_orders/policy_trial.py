"""Trying draft quarantine rules on today's data (the `quarantine` kind's trial for the generic policy pages): the
orders in force, re-planned under the draft (their last day, the days in a facility and the tests it would give
them), and the recent F1s without an order who would get one (or who would no longer). Nothing is written: an
order keeps the version it was made under; the draft would apply to the orders made after its adoption."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.jurisdiction import scope_for
from lachan.cases.models import ACTIVE_STATUSES, Case
from lachan.core.policies import PolicyTrial, TrialTable
from lachan.quarantine.models import Immunity, Order, OrderKind, OrderStatus
from lachan.quarantine.policy import Regime, base_day, regime
from lachan.tracing.models import Contact, Tier

RECENT_DAYS = 14
ROWS_SHOWN = 100


def _plan(reg: Regime | None, *, starts_on, exposed_on):
    """(last day, days in a facility, test days as dates) of an order under a regime; None: no order."""
    if reg is None:
        return None
    base = base_day(reg, starts_on=starts_on, exposed_on=exposed_on)
    return base + timedelta(days=reg.days - 1), reg.facility_days, [base + timedelta(days=d - 1) for d in reg.test_days]


def _day(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def quarantine_policy_trial(*, rules: dict[str, Any], in_force, by) -> PolicyTrial:
    today = timezone.localdate()
    scope = scope_for(by)
    current = (in_force.rules or {}) if in_force is not None else {}
    trial = PolicyTrial()

    orders = list(Order.objects.filter(scope.person_q(person_field="person"), status=OrderStatus.ACTIVE)
                  .select_related("person").order_by("ends_on", "code"))
    changed, shown_people = [], set()
    for order in orders:
        immunity = order.immunity if order.immunity else Immunity.UNKNOWN
        new = _plan(regime(rules, kind=order.kind, immunity=immunity), starts_on=order.starts_on,
                    exposed_on=order.exposed_on)
        if new is None:
            changed.append((order, _("no order under the draft")))
        elif new[0] != order.ends_on:
            changed.append((order, new))
    rows = []
    for order, new in changed[:ROWS_SHOWN]:
        shown_people.add(order.person_id)
        if isinstance(new, tuple):
            after = _day(new[0])
            detail = _("%(days)d days in a facility") % {"days": new[1]} if new[1] else _("at home")
        else:
            after, detail = "—", str(new)
        rows.append([order.code, order.person.full_name, str(OrderKind(order.kind).label), _day(order.ends_on),
                     after, detail])
    trial.summary.append(_("%(changed)d of the %(orders)d orders in force would end on another day had they been made "
                           "under the draft; they keep the version they were made under.")
                         % {"changed": len(changed), "orders": len(orders)})
    if rows:
        trial.tables.append(TrialTable(
            title=_("Orders in force that the draft would plan differently"),
            columns=[_("Order"), _("Person"), _("Kind"), _("Last day now"), _("Last day under the draft"),
                     _("Under the draft")], rows=rows,
            note=_("The first %(n)d of %(total)d.") % {"n": len(rows), "total": len(changed)}
            if len(changed) > len(rows) else ""))

    # Recent F1s without an order in force: who the draft (and the version in force) would quarantine today.
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    ordered = Order.objects.filter(status=OrderStatus.ACTIVE).values("person_id")
    isolated = Case.objects.filter(status__in=ACTIVE_STATUSES).values("person_id")
    contacts = list(Contact.objects.filter(scope.person_q(person_field="person"), tier=Tier.F1,
                                           exposed_at__gte=since)
                    .exclude(person_id__in=ordered).exclude(person_id__in=isolated)
                    .select_related("person", "index_case").order_by("-exposed_at"))
    now_reg = regime(current, kind=OrderKind.QUARANTINE, immunity=Immunity.UNKNOWN) if current else None
    new_reg = regime(rules, kind=OrderKind.QUARANTINE, immunity=Immunity.UNKNOWN)
    gained, lost, rows = 0, 0, []
    seen = set()
    for contact in contacts:
        if contact.person_id in seen:
            continue
        seen.add(contact.person_id)
        exposed = min(timezone.localdate(contact.exposed_at), today)
        before = _plan(now_reg, starts_on=today, exposed_on=exposed)
        after = _plan(new_reg, starts_on=today, exposed_on=exposed)
        before = before if before is not None and before[0] >= today else None
        after = after if after is not None and after[0] >= today else None
        if (before is None) == (after is None):
            continue
        gained += after is not None
        lost += before is not None
        if len(rows) < ROWS_SHOWN:
            shown_people.add(contact.person_id)
            rows.append([contact.index_case.code, contact.person.full_name, _day(exposed),
                         _day(before[0]) if before else _("no order"), _day(after[0]) if after else _("no order")])
    trial.summary.append(_("Of the %(f1)d F1s of the last %(days)d days without an order, %(gained)d would be "
                           "quarantined under the draft and are not now, %(lost)d are now and would not be.")
                         % {"f1": len(seen), "days": RECENT_DAYS, "gained": gained, "lost": lost})
    if rows:
        trial.tables.append(TrialTable(
            title=_("Recent F1s whose quarantine the draft would change"),
            columns=[_("Case"), _("Person"), _("Last exposure"), _("Quarantine until, now"),
                     _("Quarantine until, under the draft")], rows=rows))
    trial.person_ids = list(shown_people)
    return trial
