"""The quarantine orders benchmark (issue 5), run inside a child process on the benchmark database: a tracing
result of N F1 contacts (default 10,000) of one F0 of the synthetic province, written straight to the tables,
then quarantined in bulk as the tracing report's button does (lachan.workflows.quarantine_orders): the preview
and the orders with their required tests, history events, audit records and the contacts marked quarantined.
Target: 10,000 orders ≤ 30 s. Everything made is deleted afterwards (orders, contacts, case, audit events), so
the database is left as it was, but for the benchmark account.

The location pings part (≈ 110 pings/s for 100,000 orders) is a separate command, bench_quarantine_pings."""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime

from django.db import connection, transaction
from django.utils import timezone

from lachan.accounts.models import AuditEvent, User
from lachan.accounts.roles import Role
from lachan.cases.models import Case
from lachan.cases.services import case_confirm
from lachan.core.db import bulk_insert, chunked
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.models import Person
from lachan.quarantine.models import Order, OrderEvent, RequiredTest
from lachan.tracing.models import Contact
from lachan.workflows.quarantine_orders import case_contacts_plan, case_contacts_quarantine

from .province import DEFAULT_AS_OF, SYNTH_ID_LIMIT


def _user() -> User:
    province = AdminUnit.objects.filter(level=AdminLevel.PROVINCE).order_by("code").first()
    user, _created = User.objects.get_or_create(username="bench-quarantine", defaults={
        "role": Role.PROVINCE_ADMIN, "jurisdiction_unit": province})
    return user


def _people(n: int, seed: int) -> list[tuple]:
    """n + 1 synthetic people (id, commune id), shuffled: the F0 first, then its contacts."""
    rows = list(Person.objects.filter(id__lt=SYNTH_ID_LIMIT, merged_into__isnull=True)
                .values_list("id", "commune_id").order_by("id"))
    if len(rows) < n + 1:
        raise RuntimeError(f"the province has {len(rows):,} people; {n + 1:,} are needed")
    return random.Random(seed).sample(rows, n + 1)


def tracing_result(*, n: int, seed: int, user: User) -> Case:
    """An F0 confirmed the day before the province's reference date, with n F1 contacts exposed 1–3 days before."""
    people = _people(n, seed)
    index = Person.objects.get(pk=people[0][0])
    case = case_confirm(person=index, onset_date=None, sample_date=DEFAULT_AS_OF - timedelta(days=1),
                        origin="community", notes="bench_quarantine", by=user,
                        confirmed_at=timezone.make_aware(datetime.combine(DEFAULT_AS_OF, dtime(9, 0))))
    rng = random.Random(seed + 1)
    base = timezone.make_aware(datetime.combine(DEFAULT_AS_OF, dtime(12, 0)))
    rows = [{"index_case_id": case.pk, "person_id": pid, "tier": 1, "commune_id": commune_id, "call_status": "to_call",
             "exposed_at": base - timedelta(days=rng.randint(1, 3), minutes=rng.randint(0, 600))}
            for pid, commune_id in people[1:]]
    bulk_insert(Contact, rows)
    return case


def undo(case: Case, *, since: datetime) -> None:
    """What the run made, deleted: the orders (their tests and events), the contacts, the case, the audit."""
    with transaction.atomic():
        order_ids = list(Order.objects.filter(case=case).values_list("pk", flat=True))
        for chunk in chunked(order_ids, 5000):
            for model in (RequiredTest, OrderEvent):
                rows = model.objects.filter(order_id__in=chunk)
                rows._raw_delete(rows.db)
            rows = Order.objects.filter(pk__in=chunk)
            rows._raw_delete(rows.db)
        contacts = Contact.objects.filter(index_case=case)
        contacts._raw_delete(contacts.db)
        case.status_changes.all().delete()
        Case.objects.filter(pk=case.pk).delete()
        AuditEvent.objects.filter(at__gte=since).delete()


def measure_orders(*, n: int, seed: int) -> dict:
    """The preview and the bulk quarantine of a case's n F1s, timed (wall and this process's CPU)."""
    user = _user()
    began_at = timezone.now()
    case = tracing_result(n=n, seed=seed, user=user)
    result: dict = {"people": Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count(), "contacts": n}
    try:
        began = time.perf_counter()
        plan = case_contacts_plan(case=case, user=user, starts_on=DEFAULT_AS_OF)
        result["preview"] = {"seconds": round(time.perf_counter() - began, 2), "to_order": len(plan.to_order),
                             "policy": plan.policy_version}
        began, cpu_began = time.perf_counter(), time.process_time()
        with transaction.atomic():  # committed as in use
            done = case_contacts_quarantine(case=case, by=user, starts_on=DEFAULT_AS_OF)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        result["orders"] = {
            "seconds": round(elapsed, 2), "cpu_s": round(cpu, 2), "load": round(os.getloadavg()[0], 1),
            "created": len(done.result.created), "skipped": len(done.result.skipped), "marked": done.marked,
            "tests": RequiredTest.objects.filter(order__case=case).count(),
            "events": OrderEvent.objects.filter(order__case=case).count(),
            "audit": AuditEvent.objects.filter(at__gte=began_at, action="order.create").count(),
        }
    finally:
        undo(case, since=began_at)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Order, RequiredTest, OrderEvent, Contact):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return result


def measure_all(*, orders: int, seed: int, parts: tuple[str, ...] = ("orders",)) -> dict:
    """Each part's figures; parts other than "orders" (the pings) belong to their own command."""
    result: dict = {}
    if "orders" in parts:
        result.update(measure_orders(n=orders, seed=seed))
    return result


def _cell(run: dict | None) -> str:
    if not run:
        return "not measured"
    return f"{run['seconds']:.1f} s (CPU {run['cpu_s']:.1f} s, load {run['load']})"


def doc_section(m: dict, entries: list[dict], *, skip_generate: bool) -> str:
    first = next((e for e in entries if "people" in e), {})
    lines = [
        f"\n## Quarantine orders benchmark — {m['date']} — {first.get('people', 0):,} people, "
        f"{first.get('contacts', 0):,} F1s of one case\n",
        f"`python manage.py bench_quarantine` ({'province kept' if skip_generate else 'province generated'}); machine: "
        f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}. A tracing result of one F0 and "
        "its F1 contacts written to the tables, then quarantined at once as the tracing report's button does: the "
        "preview, then the orders (policy of the reference date 01/07/2021) with their required tests, history "
        "events and audit records, and the contacts marked quarantined, in one transaction. Undone afterwards. "
        "Target: 10,000 orders ≤ 30 s.\n",
        "| database | generate province | preview | orders made | tests | quarantine the F1s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        if "error" in e and "orders" not in e:
            lines.append(f"| {e['vendor']} | {e['error']} | | | | |")
            continue
        gen = f"{e['simulate_province']:.0f} s" if "simulate_province" in e else "not run (data kept)"
        orders = e.get("orders") or {}
        preview = e.get("preview") or {}
        lines.append(f"| {e['vendor']} | {gen} | {preview.get('seconds', '–')} s | {orders.get('created', '–'):,} "
                     f"| {orders.get('tests', '–'):,} | {_cell(orders)} |")
    return "\n".join(lines) + "\n"
