"""Benchmark of the geofence (issue 5): N people in home quarantine with location consent, each phone sending
a location fix every 15 minutes (100,000 people ≈ 111 fixes/s) through the real server for a few minutes,
a fraction of them outside the geofence. Measured: fixes sent, answered and stored (nothing lost), the time
from sending a violating fix to the answer of its request (its VIOLATION alert is committed before the answer,
so this bounds "alerted within"), checked against the alert rows, and the server's CPU.

The load is open-loop: each phone sends at its own time whatever the server's pace (a slow server makes
the requests pile up, as real phones would), from forked load-generator processes on raw keep-alive sockets
(lachan.simulate.loadgen's helpers). Each fix goes alone, through the signed link of its order
(/api/quarantine/link/<token>/pings), as the citizen app does when it has a fix to send."""

import json
import math
import multiprocessing
import os
import random
import selectors
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench

PERIOD_SECONDS = 15 * 60  # each phone sends a fix every 15 minutes
CODE_PREFIX = "BENCH-Q"
TARGET_P99_S = 5.0
HEAD = "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"


class Command(BaseCommand):
    help = ("Benchmark of quarantine location pings (issue 5): N active orders with consent, one fix per order every "
            "15 minutes through the real server for --minutes, a fraction outside the fence; fixes sent vs stored, "
            "violation alert delay p50/p95/p99 (target p99 ≤ 5 s), server CPU. Figures appended to docs/benchmarks.md.")

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000, help="people in home quarantine with consent")
        parser.add_argument("--minutes", type=float, default=10.0, help="length of the measured load")
        parser.add_argument("--outside", type=float, default=0.02, help="share of the fixes outside the geofence")
        parser.add_argument("--workers", type=int, default=2, help="web processes of the server")
        parser.add_argument("--threads", type=int, default=1, help="request threads per web process")
        parser.add_argument("--clients", type=int, default=1, help="load-generator processes")
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the province already in the databases")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, orders, minutes, outside, workers, threads, clients, seed, urls, skip_generate, doc,
               no_doc, child, **options):
        if child:
            result = measure(orders=orders, seconds=minutes * 60, outside=outside, workers=workers, threads=threads,
                             clients=clients, seed=seed)
            self.stdout.write("RESULT " + json.dumps(result, default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_quarantine.sqlite3'}"]
        machine = bench.machine()
        sections = []
        for url in urls:
            entry = {"vendor": bench.vendor_of(url), "url": bench.redact(url)}
            self.stdout.write(f"== {entry['vendor']}: {entry['url']}")
            if not skip_generate:
                people = max(int(orders * 1.1), 5000)
                steps = [["migrate", "--noinput", "-v0"], ["simulate_province", "--people", str(people),
                                                            "--seed", str(seed)]]
                if not bench.generate(url, steps, entry, out=self.stdout.write, err=self.stderr.write):
                    sections.append(entry)
                    continue
            bench.measure_child(["bench_quarantine_pings", "--child", "--orders", str(orders), "--minutes", str(minutes),
                                 "--outside", str(outside), "--workers", str(workers), "--threads", str(threads),
                                 "--clients", str(clients), "--seed", str(seed)],
                                url, entry, err=self.stderr.write, timeout=minutes * 60 + 3600)
            self.stdout.write(f"   {json.dumps(entry, default=str)}")
            sections.append(entry)
        text = doc_section(machine, sections, orders=orders, minutes=minutes)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))


# ---- inside the child: the data ------------------------------------------------------------------------------

def orders_create(*, count: int, seed: int) -> tuple[list, dict]:
    """`count` active home orders with consent and a centre, bulk-written; those of an earlier run deleted first.
    Returns [(order id, centre)] and the timings."""
    from django.db import transaction
    from django.utils import timezone

    from lachan.core.db import bulk_insert
    from lachan.core.errors import NotFound
    from lachan.core.models import Policy
    from lachan.core.policies import policy_in_force
    from lachan.people.models import Person
    from lachan.quarantine.models import Alert, LocationPing, Order, OrderStatus

    began = time.perf_counter()
    old = Order.objects.filter(code__startswith=CODE_PREFIX)
    with transaction.atomic():
        LocationPing.objects.filter(order__in=old)._raw_delete(LocationPing.objects.db)
        Alert.objects.filter(order__in=old)._raw_delete(Alert.objects.db)
        old.delete()
    try:
        policy = policy_in_force("quarantine", timezone.localdate())
    except NotFound:
        policy = Policy.objects.filter(kind="quarantine").order_by("-valid_from").first()
    if policy is None:
        raise RuntimeError("no quarantine policy: migrate first")
    busy = Order.objects.filter(status=OrderStatus.ACTIVE).values("person_id")
    people = list(Person.objects.exclude(pk__in=busy).order_by("id").values_list("id", "commune_id")[:count])
    if len(people) < count:
        raise RuntimeError(f"only {len(people)} people without an order: generate a larger province")
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    rows, centres = [], []
    for n, (person_id, commune_id) in enumerate(people):
        centre = (10.2 + rng.random() * 0.3, 106.0 + rng.random() * 0.6)  # Tiền Giang
        rows.append({"code": f"{CODE_PREFIX}{n:07d}", "person_id": person_id, "commune_id": commune_id,
                     "latitude": centre[0], "longitude": centre[1]})
        centres.append(centre)
    with transaction.atomic():
        ids = bulk_insert(Order, rows, now=now, same={
            "kind": "quarantine", "setting": "home", "address": "", "geofence_radius_m": 50,
            "starts_on": today - timedelta(days=3), "ends_on": today + timedelta(days=10), "status": "active",
            "immunity": "unknown", "policy_id": policy.pk, "location_consent_at": now - timedelta(hours=1),
            "end_reason": ""})
    return list(zip(ids, centres, strict=True)), {"create_seconds": round(time.perf_counter() - began, 1)}


# ---- the load -------------------------------------------------------------------------------------------------

@dataclass
class Plan:
    port: int
    start_at: float  # time.time() of the first phone's send
    items: list  # (offset seconds, path, body bytes, violating)
    max_connections: int = 64


@dataclass
class Outcome:
    sent: int = 0
    answered: int = 0
    ok: int = 0
    stored: int = 0
    outside: int = 0
    errors: int = 0
    retries: int = 0  # sent again on a new connection after the server closed an idle one
    statuses: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)  # seconds, every request
    violation_latencies: list = field(default_factory=list)
    max_lateness: float = 0.0  # how late the generator sent behind the schedule
    sample_error: str = ""


IDLE_CLOSE_S = 1.0  # gunicorn closes a keep-alive connection idle for 2 s: one idle for 1 s is not reused


class _Conn:
    __slots__ = ("sock", "buf", "sent_at", "violating", "request", "idle_since", "retried")

    def __init__(self, sock):
        self.sock, self.buf, self.sent_at, self.violating = sock, bytearray(), 0.0, False
        self.request, self.idle_since, self.retried = b"", 0.0, False


def drive(plan: Plan) -> Outcome:
    """Send each item at start_at + its offset on a free keep-alive connection (opening more up to a limit)."""
    from lachan.simulate.loadgen import _connect, _parse

    out = Outcome()
    sel = selectors.DefaultSelector()
    idle: list[_Conn] = []
    open_count = 0
    i, items = 0, plan.items
    while i < len(items) or sel.get_map():
        now = time.time()
        while idle and now - idle[0].idle_since > IDLE_CLOSE_S:  # the oldest first
            idle.pop(0).sock.close()
            open_count -= 1
        while i < len(items) and plan.start_at + items[i][0] <= now:
            if idle:
                conn = idle.pop()
            elif open_count < plan.max_connections:
                try:
                    conn = _Conn(_connect(plan.port))
                except OSError as exc:
                    out.errors += 1
                    out.sample_error = out.sample_error or repr(exc)
                    i += 1
                    continue
                open_count += 1
            else:
                break
            _offset, path, body, violating = items[i]
            conn.sent_at, conn.violating, conn.retried = time.time(), violating, False
            conn.request = HEAD.format(path=path, length=len(body)).encode() + body
            out.max_lateness = max(out.max_lateness, conn.sent_at - (plan.start_at + items[i][0]))
            try:
                conn.sock.sendall(conn.request)
            except OSError as exc:
                out.errors += 1
                out.sample_error = out.sample_error or repr(exc)
                conn.sock.close()
                open_count -= 1
                i += 1
                continue
            sel.register(conn.sock, selectors.EVENT_READ, conn)
            out.sent += 1
            i += 1
        wait = 0.2 if i >= len(items) else max(0.0, min(0.2, plan.start_at + items[i][0] - time.time()))
        for key, _mask in sel.select(timeout=wait):
            conn = key.data
            try:
                chunk = conn.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by the server")
                conn.buf += chunk
                parsed = _parse(conn.buf)
            except (OSError, ValueError) as exc:
                sel.unregister(conn.sock)
                conn.sock.close()
                if not conn.buf and not conn.retried:
                    # Closed before answering (a keep-alive race): the app sends the fix again on a new
                    # connection; the server stores a fix once per order and time, so this is safe.
                    try:
                        conn.sock, conn.retried = _connect(plan.port), True
                        conn.sock.sendall(conn.request)
                        sel.register(conn.sock, selectors.EVENT_READ, conn)
                        out.retries += 1
                        continue
                    except OSError:
                        pass
                open_count -= 1
                out.errors += 1
                out.sample_error = out.sample_error or repr(exc)
                continue
            if parsed is None:
                continue
            status, body, keep_alive, consumed = parsed
            del conn.buf[:consumed]
            took = time.time() - conn.sent_at
            out.answered += 1
            out.statuses[status] = out.statuses.get(status, 0) + 1
            out.latencies.append(took)
            if status == 200:
                out.ok += 1
                summary = json.loads(body)
                out.stored += summary["stored"]
                out.outside += summary["outside"]
                if conn.violating:
                    out.violation_latencies.append(took)
            else:
                out.sample_error = out.sample_error or f"{status} {body[:300]!r}"
            sel.unregister(conn.sock)
            if keep_alive:
                conn.idle_since = time.time()
                idle.append(conn)
            else:
                conn.sock.close()
                open_count -= 1
    for conn in idle:
        conn.sock.close()
    sel.close()
    return out


def _run(plans: list[Plan]) -> Outcome:
    context = multiprocessing.get_context("fork")
    with context.Pool(len(plans)) as pool:
        outcomes = pool.map(drive, plans)
    total = Outcome()
    for o in outcomes:
        for name in ("sent", "answered", "ok", "stored", "outside", "errors", "retries"):
            setattr(total, name, getattr(total, name) + getattr(o, name))
        total.latencies += o.latencies
        total.violation_latencies += o.violation_latencies
        total.max_lateness = max(total.max_lateness, o.max_lateness)
        for status, n in o.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
        total.sample_error = total.sample_error or o.sample_error
    return total


def _fix(centre, *, at: datetime, metres_north: float, accuracy: float) -> bytes:
    lat = centre[0] + metres_north / 111_195
    return (f'{{"pings":[{{"at":"{at.isoformat()}","latitude":{lat:.7f},"longitude":{centre[1]:.7f},'
            f'"accuracy_m":{accuracy}}}]}}').encode()


def measure(*, orders: int, seconds: float, outside: float, workers: int, threads: int, clients: int,
            seed: int) -> dict:
    from django.db import connections as db_connections

    from lachan.quarantine.links import link_token
    from lachan.quarantine.models import Alert, LocationPing, Order
    from lachan.simulate.bench_tracing import _cpu_seconds, _descendants, _serve, _stop_server

    made, result = orders_create(count=orders, seed=seed)
    rng = random.Random(seed + 1)
    rate = orders / PERIOD_SECONDS
    # The phones whose turn comes within the measured window, in the order of their turn (a random phase each).
    sending = min(orders, int(math.ceil(rate * seconds)))
    warmup = 3.0
    start_at = time.time() + warmup + 5  # the server starts meanwhile
    items_by_client: list[list] = [[] for _ in range(clients)]
    violating_orders = set()
    at0 = datetime.now(UTC) + timedelta(seconds=warmup + 5)
    for n in range(sending):
        order_id, centre = made[n]
        offset = n / rate
        violating = rng.random() < outside
        if violating:
            violating_orders.add(order_id)
        body = _fix(centre, at=at0 + timedelta(seconds=offset), metres_north=400.0 if violating else rng.random() * 20,
                    accuracy=round(5 + rng.random() * 15, 1))
        items_by_client[n % clients].append((offset, f"/api/quarantine/link/{link_token(order_id)}/pings", body,
                                             violating))
    db_connections.close_all()
    proc, port, log = _serve(workers=workers, threads=threads)
    try:
        start_at = max(start_at, time.time() + warmup)
        cpu: dict[str, float] = {}

        def sample():
            for mark, when in (("start", start_at), ("stop", start_at + seconds)):
                time.sleep(max(0.0, when - time.time()))
                cpu[mark] = _cpu_seconds(_descendants(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        outcome = _run([Plan(port=port, start_at=start_at, items=items) for items in items_by_client])
        sampler.join()
    finally:
        _stop_server(proc)
        server_log = log.read_text()
        log.unlink(missing_ok=True)
    bench_orders = Order.objects.filter(code__startswith=CODE_PREFIX)
    stored = LocationPing.objects.filter(order__in=bench_orders).count()
    alerted = set(Alert.objects.filter(order__in=bench_orders, kind="violation").values_list("order_id", flat=True))
    lat, vlat = outcome.latencies, outcome.violation_latencies

    def q(values, p):
        return round(bench.percentile(values, p), 3) if values else None

    result.update({
        "orders": orders, "seconds": seconds, "rate_planned": round(rate, 1), "sent": outcome.sent,
        "answered": outcome.answered, "ok": outcome.ok, "stored_answers": outcome.stored, "stored_rows": stored,
        "lost": outcome.sent - stored, "errors": outcome.errors, "retries": outcome.retries,
        "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
        "per_second": round(outcome.ok / seconds, 1), "p50_s": q(lat, 0.5), "p99_s": q(lat, 0.99),
        "violations_sent": len(violating_orders), "violations_answered": len(vlat),
        "violations_alerted": len(alerted & violating_orders), "false_alerts": len(alerted - violating_orders),
        "violation_p50_s": q(vlat, 0.5), "violation_p95_s": q(vlat, 0.95), "violation_p99_s": q(vlat, 0.99),
        "violation_max_s": round(max(vlat), 3) if vlat else None,
        "generator_max_lateness_s": round(outcome.max_lateness, 3),
        "server_cores": round((cpu["stop"] - cpu["start"]) / seconds, 2) if len(cpu) == 2 else None,
        "server_cpu_ms_per_ping": round((cpu["stop"] - cpu["start"]) * 1000 / max(1, outcome.ok), 2)
        if len(cpu) == 2 else None,
        "workers": workers, "threads": threads, "clients": clients, "load": round(os.getloadavg()[0], 1),
    })
    if outcome.sample_error:
        result["sample_error"] = outcome.sample_error[:300]
        result["server_log"] = server_log[-1500:]
    return result


def doc_section(m: dict, entries: list[dict], *, orders: int, minutes: float) -> str:
    lines = [
        f"\n## Quarantine location pings — {m['date']} — {orders:,} orders, {minutes:g} min\n",
        f"`python manage.py bench_quarantine_pings --orders {orders} --minutes {minutes:g}`; machine: {m['nproc']} cores "
        f"({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}. Each order's phone sends one fix every 15 minutes "
        "through the signed-link API of a real `manage.py serve`; targets: nothing lost, every violation alerted "
        f"within {TARGET_P99_S:g} s (p99).\n",
        "| database | orders made | pings/s (planned) | sent / stored / lost | answer p50 / p99 | violations sent / "
        "alerted | violation alert p50 / p95 / p99 (max) | server CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    verdicts = []
    for e in entries:
        if "sent" not in e:
            lines.append(f"| {e['vendor']} | {e.get('error', '?')} | | | | | | |")
            verdicts.append(f"{e['vendor']}: not measured")
            continue
        lines.append(
            f"| {e['vendor']} | {e['create_seconds']:.0f} s | {e['per_second']:.0f} ({e['rate_planned']:.0f}) | "
            f"{e['sent']:,} / {e['stored_rows']:,} / {e['lost']} | {e['p50_s'] * 1000:.0f} / {e['p99_s'] * 1000:.0f} ms | "
            f"{e['violations_sent']} / {e['violations_alerted']} | {e['violation_p50_s'] * 1000:.0f} / "
            f"{e['violation_p95_s'] * 1000:.0f} / {e['violation_p99_s'] * 1000:.0f} ms ({e['violation_max_s']:.2f} s) | "
            f"{e['server_cores']:.2f} cores, {e['server_cpu_ms_per_ping']:.1f} ms per ping |")
        if e["lost"] or e["errors"]:
            verdicts.append(f"{e['vendor']}: {e['lost']} pings lost, {e['errors']} connection errors")
        if e["violations_alerted"] != e["violations_sent"]:
            verdicts.append(f"{e['vendor']}: {e['violations_sent'] - e['violations_alerted']} violations without alert")
        if e["violation_p99_s"] is not None and e["violation_p99_s"] > TARGET_P99_S:
            verdicts.append(f"{e['vendor']}: violation p99 {e['violation_p99_s']:.1f} s over {TARGET_P99_S:g} s")
    lines.append("")
    lines.append("Missed targets: " + ("; ".join(verdicts) + "." if verdicts else "none."))
    return "\n".join(lines) + "\n"
