"""The laboratory benchmark (issue 4), run inside a child process on the benchmark database: a lab's result
file of 50,000 rows (pools and individual samples of the synthetic province's people, 1 % positive)
imported without the tracing that follows and with it.

The tubes are written straight to the tables (collected and received by a benchmark laboratory the day
before the province's reference date, when its check-ins end); each import is committed as in use, then
undone (its cases, messages and audit events deleted) and the tubes deleted: the database is left as it
was, but for the benchmark laboratory's account and campaign."""

from __future__ import annotations

import csv
import io
import os
import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime

from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lachan.accounts.models import AuditEvent, User
from lachan.accounts.roles import Role
from lachan.cases.models import Case
from lachan.core.db import bulk_insert, chunked
from lachan.geo.models import AdminLevel, AdminUnit, Place, PlaceKind
from lachan.labs.models import Campaign, CampaignKind, Laboratory, Sample, SampleStatus, Swab, TestType
from lachan.labs.results import imports
from lachan.notifications.models import Message
from lachan.people.models import Person
from lachan.workflows.lab_results import lab_results_import

from .province import DEFAULT_AS_OF, SYNTH_ID_LIMIT

LAB_NAME = "Benchmark laboratory"
POOL_SHARE = 0.7  # of the tubes; the rest are individual samples
POOL_SIZES = (5, 6, 7, 8, 9, 10)


def _laboratory() -> tuple[Laboratory, User, Campaign]:
    commune = AdminUnit.objects.filter(level=AdminLevel.COMMUNE).order_by("code").first()
    place, _created = Place.objects.get_or_create(kind=PlaceKind.LABORATORY, name=LAB_NAME, defaults={"commune": commune})
    lab, _created = Laboratory.objects.get_or_create(place=place)
    user, _created = User.objects.get_or_create(username="bench-lab", defaults={
        "role": Role.LAB_STAFF, "jurisdiction_place": place})
    campaign, _created = Campaign.objects.get_or_create(name="Benchmark screening", defaults={
        "kind": CampaignKind.SCREENING, "unit": commune.parent or commune, "starts_on": DEFAULT_AS_OF - timedelta(days=30),
        "laboratory": lab, "pool_size": 7})
    return lab, user, campaign


def _person_ids(seed: int) -> list[str]:
    """The synthetic people's ids (as the database stores them), shuffled."""
    qn = connection.ops.quote_name
    column = "id" if connection.vendor == "sqlite" else "id::text"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {qn(Person._meta.db_table)} WHERE id < %s AND merged_into_id IS NULL",
                       [SYNTH_ID_LIMIT.hex if connection.vendor == "sqlite" else SYNTH_ID_LIMIT])
        ids = [row[0] for row in cursor.fetchall()]
    random.Random(seed).shuffle(ids)
    return ids


def _vacuum() -> None:
    """PostgreSQL: clear the dead rows of earlier runs (each inserts 277,000 swabs and deletes them), as autovacuum
    does in use; measured on a table carrying 2.7 million dead swabs, the import took 11–13 s instead of 9."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (Sample, Swab):
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


def tubes_generate(*, rows: int, seed: int, positive_rate: float, tag: str) -> tuple[bytes, dict]:
    """`rows` tubes collected the day before the reference date and received by the benchmark laboratory,
    and the lab's result file for them (CSV as a lab sends it, `positive_rate` of the rows positive)."""
    _vacuum()
    lab, _user, campaign = _laboratory()
    rng = random.Random(seed)
    people = _person_ids(seed)
    if not people:
        raise RuntimeError("no synthetic people: run simulate_province first")
    collected = timezone.make_aware(datetime.combine(DEFAULT_AS_OF - timedelta(days=1), dtime(8, 0)))
    received = collected + timedelta(hours=6)
    tubes, cursor, round_ = [], 0, 1
    for i in range(rows):
        size = rng.choice(POOL_SIZES) if rng.random() < POOL_SHARE else 1
        if cursor + size > len(people):  # everyone swabbed: the next round of the campaign
            cursor, round_ = 0, round_ + 1
        tubes.append((f"{tag}-{i:06d}", size, round_, people[cursor:cursor + size]))
        cursor += size
    began = time.perf_counter()
    with transaction.atomic():
        ids = bulk_insert(Sample, [
            {"code": code, "pooled": size > 1, "test_type": TestType.RT_PCR, "campaign_id": campaign.pk, "round": r,
             "laboratory_id": lab.pk, "status": SampleStatus.RECEIVED, "collected_at": collected,
             "received_at": received}
            for code, size, r, _members in tubes])
        swabs = [{"sample_id": sample_id, "person_id": pid, "campaign_id": campaign.pk, "round": r, "pooled": size > 1,
                  "position": n} for sample_id, (_code, size, r, members) in zip(ids, tubes, strict=True)
                 for n, pid in enumerate(members, start=1)]
        for batch in chunked(swabs, 50000):
            bulk_insert(Swab, batch)
    # The planner's statistics for the new rows, as autovacuum (PostgreSQL) keeps them for tubes registered
    # over a day; without them a few hundred positives' swabs were read by scanning whole tables.
    with connection.cursor() as cursor:
        for model in (Sample, Swab):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    generated = time.perf_counter() - began
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"])
    day = DEFAULT_AS_OF.strftime("%d/%m/%Y")
    positives = pooled_positives = 0
    for code, size, _r, _members in tubes:
        if rng.random() < positive_rate:
            positives += 1
            pooled_positives += size > 1
            writer.writerow([code, "Dương tính", f"{rng.uniform(16, 36):.2f}".replace(".", ","), day])
        else:
            writer.writerow([code, "Âm tính", "", day])
    return out.getvalue().encode(), {
        "tubes": rows, "swabs": len(swabs), "pools": sum(1 for t in tubes if t[1] > 1), "rounds": round_,
        "positives": positives, "pooled_positives": pooled_positives, "generate_s": round(generated, 1)}


def tubes_delete(tag: str) -> None:
    qn = connection.ops.quote_name
    samples, swabs = qn(Sample._meta.db_table), qn(Swab._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {swabs} WHERE sample_id IN (SELECT id FROM {samples} WHERE code LIKE %s)",
                       [f"{tag}-%"])
        cursor.execute(f"DELETE FROM {samples} WHERE code LIKE %s", [f"{tag}-%"])


def measure_import(data: bytes, *, tag: str, trace: bool) -> dict:
    """One import of the file, committed as in use (a savepoint around it would change SQLite's cost), then
    undone: its cases, messages, audit events and the file's record deleted."""
    lab, user, _campaign = _laboratory()
    now = timezone.make_aware(datetime.combine(DEFAULT_AS_OF, dtime(10, 0)))
    began_at = timezone.now()
    began, cpu_began = time.perf_counter(), time.process_time()
    outcome = lab_results_import(laboratory=lab, data=data, filename=f"{tag}.csv", by=user, now=now, trace=trace)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    record = outcome.record
    tell = tell_queued(since=began_at)  # what the worker then does: everyone told, each person audited
    record.refresh_from_db()
    cases = Case.objects.filter(notes__contains=tag)
    result = {"seconds": round(elapsed, 2), "cpu_s": round(cpu, 2), "rows": record.rows, "applied": record.applied,
              "cases": cases.count(), "summary": record.summary, "load": round(os.getloadavg()[0], 1), "tell": tell}
    if not outcome.ok:
        result = {"error": f"refused: {record.error_count} errors, first {record.errors[:3]}"}
    with transaction.atomic():
        Swab.objects.filter(sample__code__startswith=tag).update(case=None)
        cases.delete()
        Message.objects.filter(created_at__gte=began_at).delete()
        DBTaskResult.objects.filter(enqueued_at__gte=began_at).delete()  # the sending of those messages
        AuditEvent.objects.filter(at__gte=began_at).delete()
        Sample.objects.filter(result_import=record).update(result_import=None)
        record.delete()
    return result


def tell_queued(*, since: datetime) -> dict:
    """Run the telling tasks the import queued, one after the other as one worker would (a second worker
    would share them): the seconds until the last person of the file was told."""
    from lachan.labs.results.release import results_notify_task

    rows = list(DBTaskResult.objects.filter(task_path__regex=r"results_(tell|notify)_task$", enqueued_at__gte=since)
                .order_by("enqueued_at"))
    began, told = time.perf_counter(), 0
    for row in rows:
        told += results_notify_task.call(**row.args_kwargs["kwargs"])
    return {"tasks": len(rows), "told": told, "seconds": round(time.perf_counter() - began, 2)}


def measure_check(data: bytes) -> dict:
    """Reading and checking the file alone (no write)."""
    lab, user, _campaign = _laboratory()
    now = timezone.make_aware(datetime.combine(DEFAULT_AS_OF, dtime(10, 0)))
    began = time.perf_counter()
    checked = imports.import_check(laboratory=lab, data=data, filename="ket-qua.csv", by=user, now=now)
    return {"seconds": round(time.perf_counter() - began, 2), "errors": len(checked.errors)}


def measure_all(*, rows: int, seed: int, positive_rate: float, only: str = "") -> dict:
    tag = f"BL{int(time.time()) % 10**6:06d}"
    result = {"people": Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count()}
    data, result["file"] = tubes_generate(rows=rows, seed=seed, positive_rate=positive_rate, tag=tag)
    try:
        result["check"] = measure_check(data)
        if only in ("", "import"):
            result["import"] = measure_import(data, tag=tag, trace=False)
    finally:
        tubes_delete(tag)
    if only in ("", "traced"):
        tag = tag.replace("BL", "BT")
        data, _file = tubes_generate(rows=rows, seed=seed, positive_rate=positive_rate, tag=tag)
        try:
            result["traced"] = measure_import(data, tag=tag, trace=True)
        finally:
            tubes_delete(tag)
    return result
