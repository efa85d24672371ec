"""The tracing benchmark (issue 3), run inside a child process on the benchmark database: tracing one
F0 end to end, the check-in API throughput and the logbook import rate."""

from __future__ import annotations

import csv
import http.client
import io
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections as db_connections
from django.db import transaction
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.accounts.models import ApiToken, User
from lachan.accounts.roles import Role
from lachan.cases.models import Case, CaseOrigin
from lachan.people.models import Person
from lachan.venues.logbooks import logbook_import
from lachan.venues.models import CheckIn, Venue
from lachan.venues.qr import qr_token, venue_code_ensure
from lachan.workflows.case_confirmation import case_confirm_and_trace

from .bench import MANAGE, _descendants, _free_port, percentile
from .checkins import window_of
from .province import DEFAULT_AS_OF, SYNTH_ID_LIMIT

ACTOR = system_actor("bench_tracing")  # who the generated records are by, in the audit trail


def measure_tracing(*, samples: int, seed: int = 7, days: int = 21, warmup: int = 3) -> dict:
    """Confirm and trace `samples` random people with check-ins near the end of the period; each case
    is rolled back afterwards so the next one starts from the same data. The first `warmup` cases (other
    people) are not counted: they read the indexes into the page cache, as a running server has them;
    the very first one's time is reported apart as the cold figure."""
    rng = random.Random(seed)
    start, end = window_of(days=days, end=DEFAULT_AS_OF)
    recent = list(CheckIn.objects.filter(checked_in_at__gte=end - timedelta(days=3), person_id__lt=SYNTH_ID_LIMIT)
                  .order_by("id").values_list("person_id", flat=True)[:20000])
    chosen = rng.sample(sorted(set(recent)), min(samples + warmup, len(set(recent))))
    people = Person.objects.in_bulk(chosen)
    confirmed_at = end - timedelta(hours=6)
    onset = (end - timedelta(days=3)).date()
    timings, counts = [], []

    class Rollback(Exception):
        pass

    for pid in chosen:
        try:
            with transaction.atomic():
                began = time.perf_counter()
                done = case_confirm_and_trace(person=people[pid], onset_date=onset, sample_date=onset + timedelta(days=1),
                                              origin=CaseOrigin.COMMUNITY, confirmed_at=confirmed_at, by=ACTOR,
                                              now=confirmed_at)
                timings.append((time.perf_counter() - began) * 1000)
                counts.append(done.run.counts)
                raise Rollback
        except Rollback:
            pass
    if len(timings) <= warmup:
        return {"error": "no check-ins to trace"}
    cold, timings, counts = timings[0], timings[warmup:], counts[warmup:]
    return {"cold_ms": round(cold, 1), "n": len(timings), "p50": round(statistics.median(timings), 1), "p95": round(percentile(timings, 0.95), 1),
            "f1_median": statistics.median(c.get("f1", 0) for c in counts),
            "f2_median": statistics.median(c.get("f2", 0) for c in counts),
            "notices_median": statistics.median(c.get("notices", 0) for c in counts)}


def _venue_device():
    venue = Venue.objects.select_related("place").order_by("id").first()
    user, _created = User.objects.get_or_create(username="bench-venue", defaults={"role": Role.VENUE_OWNER})
    venue_code_ensure(venue)  # bulk-loaded venues have no QR code yet
    Venue.objects.filter(pk=venue.pk).update(owner=user)  # save() would invent a code it does not store
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name="bench", prefix=raw[:8], key_hash=ApiToken.hash(raw))
    return venue, user, raw


def _serve(*, workers: int, threads: int, server: str = "granian") -> tuple[subprocess.Popen, int, Path]:
    """`manage.py serve --no-worker --server <server>` on a free port against this process's database
    (DATABASE_URL is in the environment); returns once it answers. Granian by default: what
    docs/deployment.md advises for hosts that answer the check-in API."""
    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="lachan-bench-serve-", suffix=".log")[1])
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, MANAGE, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
                                 "--workers", str(workers), "--threads", str(threads), "--server", server],
                                # as in production (no static finders), with this process's key: it signed the QRs
                                env={**os.environ, "LACHAN_TESTING": "0", "SECRET_KEY": settings.SECRET_KEY},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/venues/checkins")  # any answer (405) means it serves
            conn.getresponse().read()
            conn.close()
            return proc, port, log
        except OSError:
            time.sleep(0.2)
    _stop_server(proc)
    raise RuntimeError("the server did not answer within 60 s")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


API_VENUES = 13  # prime


def measure_checkin_api(*, seconds: float = 10.0, workers: int = 2, threads: int = 1, clients: int = 2,
                        connections: int = 4, batch: int = 0, warmup: float = 2.0, server: str = "granian") -> dict:
    """POST /api/venues/checkins (or /checkins/batch with `batch` check-ins a request) with a device's
    bearer token against a real `manage.py serve` on this database, from `clients` load-generator
    processes keeping `connections` requests in flight each, for `seconds` after a warm-up. One request
    thread per process, as docs/deployment.md advises for API hosts: on two cores, 2 × 1 answered 1,160
    single check-ins/s at full scale on SQLite where 2 × 8 threads answered 670 (the threads contend for
    the interpreter lock)."""
    from .loadgen import Plan, run

    _venue, user, raw = _venue_device()
    # Several venues of the device's owner, so that people and venues taken in turn make new visits
    # (not second scans within the dedupe window) even on a small database.
    venues = list(Venue.objects.order_by("id")[:API_VENUES])
    Venue.objects.filter(pk__in=[v.pk for v in venues]).update(owner=user)
    tokens = [qr_token(v) for v in venues]
    people = [str(p) for p in Person.objects.filter(id__lt=SYNTH_ID_LIMIT).order_by("id").values_list("id", flat=True)[:200000]]
    run_id = f"{os.getpid()}-{int(time.time())}"
    db_connections.close_all()  # neither the server nor the forked load generators share this connection
    proc, port, log = _serve(workers=workers, threads=threads, server=server)
    try:
        start_at = time.time() + warmup
        cpu: dict[str, float] = {}

        def sample():  # the server's CPU time over exactly the measured window
            for mark, at in (("start", start_at), ("stop", start_at + seconds)):
                time.sleep(max(0.0, at - time.time()))
                cpu[mark] = _cpu_seconds(_descendants(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        plans = [Plan(port=port, auth=raw, qrs=tokens, people=people[n::clients], key_prefix=f"bench-{run_id}-{n}-",
                      connections=connections, start_at=start_at, stop_at=start_at + seconds, batch=batch,
                      path="/api/venues/checkins/batch" if batch else "/api/venues/checkins")
                 for n in range(clients)]
        outcome = run(plans)
        sampler.join()
    finally:
        _stop_server(proc)
        server_log = log.read_text()
        log.unlink(missing_ok=True)
    deleted = CheckIn.objects.filter(client_key__startswith="bench-")._raw_delete(CheckIn.objects.db)
    latencies = outcome.latencies_ms
    result = {"per_second": round(outcome.ok / seconds, 1), "ok": outcome.ok, "created": outcome.created,
              "failed": outcome.failed,
              "requests": outcome.requests, "connection_errors": outcome.errors, "seconds": seconds,
              "server": server, "workers": workers, "threads": threads, "clients": clients,
              "connections": clients * connections, "batch": batch, "deleted": deleted,
              # What the server itself used: on a shared machine its rate is what it got of the cores.
              "server_cores": round((cpu["stop"] - cpu["start"]) / seconds, 2),
              "server_cpu_ms": round((cpu["stop"] - cpu["start"]) * 1000 / max(1, outcome.ok), 3),
              "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
              "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
              "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())}}
    if outcome.sample_error:
        result["sample_error"] = outcome.sample_error[:300]
        result["server_log"] = server_log[-1500:]
    return result


def _logbook_csv(people: list, *, seed: int, now) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Full name", "Phone", "Year of birth", "Commune", "Check-in"])
    rng = random.Random(seed)
    for name, phone, year, commune in people:
        at = timezone.localtime(now - timedelta(days=1 + rng.random() * 5))
        writer.writerow([name, phone, year, commune, at.strftime("%Y-%m-%d %H:%M")])
    return out.getvalue().encode()


def _logbook_run(venue, user, data: bytes) -> tuple[object, int, float, float]:
    """(result, rows written, seconds, CPU seconds) of one import, rolled back: the data stay as they were."""
    before = CheckIn.objects.count()
    began, cpu_began = time.perf_counter(), time.process_time()
    with transaction.atomic():
        # A venue big enough for the file: below the logbook's sanity limits, every row is written (measured).
        Venue.objects.filter(pk=venue.pk).update(capacity=max(venue.capacity or 0, data.count(b"\n")))
        venue.refresh_from_db(fields=["capacity"])
        result = logbook_import(venue=venue, data=data, filename="bench.csv", by=user)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        written = CheckIn.objects.count() - before
        transaction.set_rollback(True)
    return result, written, elapsed, cpu


def measure_logbook(*, rows: int = 50000, warmup_rows: int = 5000) -> dict:
    """One paper logbook of `rows` visits imported at a venue (rolled back). A smaller file of *other*
    people is imported first and not counted, as a running server has already imported files: it loads
    the code and warms the connection's page cache, not the pages of the measured rows (a repeat of the
    same file would find its people's index pages hot and look faster than it is)."""
    venue, user, _raw = _venue_device()
    people = list(Person.objects.filter(id__lt=SYNTH_ID_LIMIT).exclude(phone="").order_by("id").values_list(
        "full_name", "phone", "birth_year", "commune__code")[:rows + warmup_rows])
    now = timezone.now()
    measured, others = people[:rows], people[rows:]
    measured = [measured[i % len(measured)] for i in range(rows)]
    if warmup_rows and others:
        _logbook_run(venue, user, _logbook_csv(others, seed=4, now=now))
    result, written, elapsed, cpu = _logbook_run(venue, user, _logbook_csv(measured, seed=3, now=now))
    # CPU seconds of this process (on PostgreSQL without the server's) and the load: on a busy machine the
    # wall-clock rate says more about the other processes than about the import.
    return {"rows": rows, "written": written, "errors": len(getattr(result, "errors", []) or []),
            "duplicates": getattr(result, "duplicates", 0), "rows_per_second": round(rows / elapsed, 0),
            "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "load": round(os.getloadavg()[0], 1),
            "warmup_rows": warmup_rows if others else 0}


def measure_all(*, samples: int, api_seconds: float, logbook_rows: int, only: str = "", api_batch: int = 100) -> dict:
    """Every figure, or only one part (`only`: tracing, api or logbook) while working on it."""
    result = {
        "people": Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count(),
        "venues": Venue.objects.count(),
        "checkins": CheckIn.objects.count(),
        "cases_before": Case.objects.count(),
    }
    if only in ("", "tracing"):
        result["tracing"] = measure_tracing(samples=samples)
    if only in ("", "api"):
        for key, batch in (("api", 0), ("api_batch", api_batch)):
            if key == "api" or batch:
                try:
                    # a few big requests in flight are enough to keep the server busy with batches
                    result[key] = measure_checkin_api(seconds=api_seconds, batch=batch, connections=2 if batch else 4)
                except RuntimeError as exc:  # the server did not start
                    result[key] = {"error": str(exc)[:500]}
    if only in ("", "logbook"):
        result["logbook"] = measure_logbook(rows=logbook_rows)
    return result


__all__ = ["date", "measure_all"]
