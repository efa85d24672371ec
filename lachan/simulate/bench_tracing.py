"""The tracing benchmark (issue 3), run inside a child process on the benchmark database: tracing one
F0 end to end, the check-in API throughput and the logbook import rate."""

from __future__ import annotations

import csv
import io
import random
import statistics
import threading
import time
from datetime import date, timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from lachan.accounts.models import ApiToken, User
from lachan.accounts.roles import Role
from lachan.cases.models import Case, CaseOrigin
from lachan.people.models import Person
from lachan.venues.logbook import logbook_import
from lachan.venues.models import CheckIn, Venue
from lachan.venues.qr import qr_token, venue_code_ensure
from lachan.workflows.case_confirmation import case_confirm_and_trace

from .bench import percentile
from .checkins import window_of
from .province import DEFAULT_AS_OF, SYNTH_ID_LIMIT


def measure_tracing(*, samples: int, seed: int = 7, days: int = 21) -> dict:
    """Confirm and trace `samples` random people with check-ins near the end of the period; each case
    is rolled back afterwards so the next one starts from the same data."""
    rng = random.Random(seed)
    start, end = window_of(days=days, end=DEFAULT_AS_OF)
    recent = list(CheckIn.objects.filter(checked_in_at__gte=end - timedelta(days=3), person_id__lt=SYNTH_ID_LIMIT)
                  .order_by("id").values_list("person_id", flat=True)[:20000])
    chosen = rng.sample(sorted(set(recent)), min(samples, len(set(recent))))
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
                                              origin=CaseOrigin.COMMUNITY, confirmed_at=confirmed_at, by=None,
                                              now=confirmed_at)
                timings.append((time.perf_counter() - began) * 1000)
                counts.append(done.run.counts)
                raise Rollback
        except Rollback:
            pass
    if not timings:
        return {"error": "no check-ins to trace"}
    return {"n": len(timings), "p50": round(statistics.median(timings), 1), "p95": round(percentile(timings, 0.95), 1),
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


def measure_checkin_api(*, seconds: float = 10.0, threads: int = 4) -> dict:
    """POST /api/venues/checkins with a bearer token from `threads` test clients for `seconds`."""
    venue, _user, raw = _venue_device()
    token = qr_token(venue)
    people = [str(p) for p in Person.objects.filter(id__lt=SYNTH_ID_LIMIT).order_by("id").values_list("id", flat=True)[:50000]]
    stop = time.monotonic() + seconds
    results = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def worker(n: int):
        client = Client()
        ok = failed = 0
        i = n
        try:
            while time.monotonic() < stop:
                body = {"qr": token, "person_id": people[i % len(people)], "client_key": f"bench-{n}-{i}"}
                response = client.post("/api/venues/checkins", body, content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Bearer {raw}")
                if response.status_code in (200, 201):
                    ok += 1
                else:
                    failed += 1
                i += threads
        finally:
            connection.close()
        with lock:
            results["ok"] += ok
            results["failed"] += failed

    began = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - began
    CheckIn.objects.filter(client_key__startswith="bench-")._raw_delete(CheckIn.objects.db)
    return {"per_second": round(results["ok"] / elapsed, 1), "ok": results["ok"], "failed": results["failed"],
            "threads": threads, "seconds": round(elapsed, 1)}


def measure_logbook(*, rows: int = 50000) -> dict:
    venue, user, _raw = _venue_device()
    people = list(Person.objects.filter(id__lt=SYNTH_ID_LIMIT).exclude(phone="").order_by("id").values_list(
        "full_name", "phone", "birth_year", "commune__code")[:rows])
    now = timezone.now()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Full name", "Phone", "Year of birth", "Commune", "Check-in"])
    rng = random.Random(3)
    for i in range(rows):
        name, phone, year, commune = people[i % len(people)]
        at = timezone.localtime(now - timedelta(days=1 + rng.random() * 5))
        writer.writerow([name, phone, year, commune, at.strftime("%Y-%m-%d %H:%M")])
    data = out.getvalue().encode()
    before = CheckIn.objects.count()
    began = time.perf_counter()
    with transaction.atomic():
        result = logbook_import(venue=venue, data=data, filename="bench.csv", by=user)
        elapsed = time.perf_counter() - began
        written = CheckIn.objects.count() - before
        transaction.set_rollback(True)  # leave the benchmark data as it was
    return {"rows": rows, "written": written, "errors": len(getattr(result, "errors", []) or []),
            "rows_per_second": round(rows / elapsed, 0), "seconds": round(elapsed, 2)}


def measure_all(*, samples: int, api_seconds: float, logbook_rows: int) -> dict:
    return {
        "people": Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count(),
        "venues": Venue.objects.count(),
        "checkins": CheckIn.objects.count(),
        "cases_before": Case.objects.count(),
        "tracing": measure_tracing(samples=samples),
        "api": measure_checkin_api(seconds=api_seconds),
        "logbook": measure_logbook(rows=logbook_rows),
    }


__all__ = ["date", "measure_all"]
