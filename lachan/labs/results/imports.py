"""A laboratory's result file: CSV (UTF-8, Windows-1258 or UTF-16, as Vietnamese Excel saves them) or
Excel (.xlsx), one row per sample or pool code, in the lab's own layout (a ColumnMapping, or the common
headings recognised without one).

Every row is validated before anything is written; the whole file is applied or nothing, and a refused file
is kept with its row-by-row errors for the report. The same file twice changes nothing (its SHA-256 is
unique per laboratory). Built for 50,000-row files: samples looked up with one query per batch of codes,
written with one UPDATE per batch (executemany on SQLite, UPDATE … FROM unnest(…) on PostgreSQL).
Reading the file and its layout: lachan.labs.results.files.
What follows a released result beyond the laboratory (cases, tracing) is lachan.workflows.lab_results.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from lachan.accounts.actors import is_system
from lachan.accounts.audit import audit_record
from lachan.accounts.jurisdiction import scope_for, unit_in_scope
from lachan.accounts.models import AuditAction
from lachan.accounts.roles import Perm
from lachan.core.db import chunked, db_datetime, is_postgresql
from lachan.core.errors import DomainError, NotFound
from lachan.core.exports import csv_text
from lachan.core.tables import RowError

from ..access import require_perm, user_laboratory
from ..errors import LabErrorCode
from ..models import (
    ColumnMapping,
    ImportStatus,
    Laboratory,
    Result,
    ResultImport,
    Sample,
    SampleStatus,
    Swab,
)
from ..policy import lab_rules
from .files import FIELDS, Layout, cell_text, layout_for, read_table, word_key
from .release import Released, results_released
from .services import CLOCK_SKEW, SampleFacts, parse_ct, result_problems

MAX_KEPT_ERRORS = 50_000  # a refused file keeps this many row errors for its report
BATCH = 5000
EXCEL_SERIALS = (36526, 73051)  # Excel day numbers of 2000-01-01 and 2100-01-01
_COMMON_DATES = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", "T%H:%M")


class AlreadyImported(DomainError):
    status = 409


def errors_csv(errors: list[list]) -> str:
    """The row-by-row report of a refused file (rows as kept in ResultImport.errors)."""
    return csv_text([_("Row"), _("Column"), _("Sample code"), _("Error")], errors)


# ---- checking every row ----------------------------------------------------------------------------------------

@dataclass
class Row:
    number: int  # as in the spreadsheet (1-based)
    code: str
    result: str
    ct: float | None
    tested_at: datetime | None


@dataclass
class Checked:
    """A file read and checked, nothing written yet."""

    laboratory: Laboratory
    mapping: ColumnMapping | None
    filename: str
    sha256: str
    encoding: str = ""
    layout: Layout | None = None
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Rows to apply: (sample id, result, ct, tested at, code, pooled, collected at, row number); rows repeating a
    # released result are left out (counted as unchanged).
    apply: list[tuple] = field(default_factory=list)
    unchanged: int = 0
    began: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


class _DateParser:
    """Date cells → aware datetimes, each distinct text parsed once. A date without a time is taken as the
    end of that day, or now if that is today (so that it is not before a collection earlier that day)."""

    def __init__(self, date_format: str, now: datetime):
        self.formats = [date_format + s for s in _TIME_SUFFIXES] if date_format else [
            f + s for f in _COMMON_DATES for s in _TIME_SUFFIXES]
        self.now = now
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.memo: dict[str, datetime] = {}

    def _day(self, day: date) -> datetime:
        if day == self.today:
            return self.now
        # A later day stays in the future (refused); an earlier one ends before now.
        return timezone.make_aware(datetime.combine(day, dtime.min if day > self.today else dtime(23, 59, 59)), self.tz)

    def __call__(self, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            if value.time() == dtime.min:
                return self._day(value.date())
            return timezone.make_aware(value, self.tz) if timezone.is_naive(value) else value
        if isinstance(value, date):
            return self._day(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and EXCEL_SERIALS[0] < value < EXCEL_SERIALS[1]:
            return self(from_excel(value))  # a date cell formatted as a number: Excel's day count
        text = str(value).strip()
        if not text:
            return None
        got = self.memo.get(text)
        if got is None:
            got = self.memo[text] = self._parse(text)
        return got

    def _parse(self, text: str) -> datetime:
        for fmt in self.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if "%H" not in fmt:
                return self._day(parsed.date())
            return timezone.make_aware(parsed, self.tz)
        raise ValueError(text)


def _sample_facts(codes: list[str]) -> dict[str, tuple]:
    """code → (id, status, test type, collected at, has swabs, laboratory id, pooled, result, ct): one query
    per batch of codes."""
    found: dict[str, tuple] = {}
    if is_postgresql():  # one query; psycopg gives the same types the ORM would, ~0.6 s faster for 50,000 codes
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.code, s.id, s.status, s.test_type, s.collected_at, "
                f"EXISTS (SELECT 1 FROM {qn(Swab._meta.db_table)} w WHERE w.sample_id = s.id), "
                f"s.laboratory_id, s.pooled, s.result, s.ct_value FROM {qn(Sample._meta.db_table)} s "
                "WHERE s.code = ANY(%s)", [codes])
            return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    swabs = Swab.objects.filter(sample_id=OuterRef("pk"))
    for batch in chunked(codes, BATCH):
        rows = (Sample.objects.filter(code__in=batch).annotate(has_swabs=Exists(swabs))
                .values_list("code", "pk", "status", "test_type", "collected_at", "has_swabs", "laboratory_id",
                             "pooled", "result", "ct_value"))
        for code, *facts in rows:
            found[code] = tuple(facts)
    return found


def import_check(*, laboratory: Laboratory, data: bytes, filename: str, mapping: ColumnMapping | None = None,
                 by, now: datetime | None = None) -> Checked:
    """Read and check a result file for `laboratory`. AlreadyImported when this laboratory applied the same
    file before; DomainError for a file that cannot be read at all; row errors in the answer."""
    require_perm(by, Perm.LABS_RESULT)
    began = time.perf_counter()
    now = now or timezone.now()
    if mapping is not None and mapping.laboratory_id != laboratory.pk:
        raise NotFound(LabErrorCode.MAPPING_NOT_FOUND, _("File layout not found."), field="mapping")
    sha = hashlib.sha256(data).hexdigest()
    earlier = (ResultImport.objects.filter(laboratory=laboratory, sha256=sha, status=ImportStatus.APPLIED)
               .select_related("created_by").first())
    if earlier is not None:
        raise already_imported(earlier)
    checked = Checked(laboratory=laboratory, mapping=mapping, filename=(filename or "")[-200:], sha256=sha, began=began)
    table, checked.encoding = read_table(data, filename)
    layout = checked.layout = layout_for(table, mapping)
    _check_rows(checked, table, layout, now=now)
    return checked


def already_imported(earlier: ResultImport) -> AlreadyImported:
    who = earlier.created_by.get_username() if earlier.created_by else _("the system")
    return AlreadyImported(LabErrorCode.IMPORT_ALREADY, _(
        "This file was already imported on %(date)s by %(user)s (%(rows)d rows); nothing was changed.") % {
        "date": timezone.localtime(earlier.created_at).strftime("%d/%m/%Y %H:%M"), "user": who, "rows": earlier.rows},
        field="file", import_id=str(earlier.pk))


def _check_rows(checked: Checked, table: list[list[Any]], layout: Layout, *, now: datetime) -> None:
    errors = checked.errors
    i_code, i_result = layout.columns["code"], layout.columns["result"]
    absent = 1 << 30
    i_ct, i_date = layout.columns.get("ct", absent), layout.columns.get("tested_at", absent)
    columns = {name: layout.heading(name) for name in FIELDS}
    words = layout.words
    parse_date = _DateParser(layout.date_format, now)
    cts: dict[Any, float | None] = {}
    rows: list[Row] = []
    first_row: dict[str, int] = {}
    for index in range(layout.header_row + 1, len(table)):
        cells = table[index]
        if not any(v is not None and str(v).strip() for v in cells):
            continue
        number = index + 1
        n = len(cells)
        code = cell_text(cells[i_code] if i_code < n else None).upper()
        problems = []
        if not code:
            problems.append(("code", _("The sample code is missing.")))
        elif len(code) > 40:
            problems.append(("code", _("A sample code has at most 40 characters.")))
        elif code in first_row:
            problems.append(("code", _("This code is also on row %(row)d.") % {"row": first_row[code]}))
        else:
            first_row[code] = number
        raw_result = cells[i_result] if i_result < n else None
        result = words.get(word_key(raw_result))
        if result is None:
            problems.append(("result", _("Unknown result “%(value)s” (expected e.g. Âm tính, Dương tính, Negative, "
                                         "Positive, NEG, POS).") % {"value": cell_text(raw_result)}
                             if cell_text(raw_result) else _("The result is missing.")))
        raw_ct = cells[i_ct] if i_ct < n else None
        try:
            if raw_ct.__class__ is str:  # CSV cells repeat ("", "-"): each text parsed once
                ct = cts[raw_ct] if raw_ct in cts else cts.setdefault(raw_ct, parse_ct(raw_ct))
            else:
                ct = parse_ct(raw_ct)
        except (ValueError, TypeError):
            ct = None
            problems.append(("ct", _("The Ct value “%(value)s” is not a number.") % {"value": cell_text(raw_ct)}))
        try:
            tested_at = parse_date(cells[i_date] if i_date < n else None)
        except ValueError:
            tested_at = None
            problems.append(("tested_at", _("“%(value)s” is not a date (dd/mm/yyyy).") % {
                "value": cell_text(cells[i_date])}))
        if problems:
            errors.extend(RowError(number, f, m, code=code, column=columns.get(f, "")) for f, m in problems)
            continue
        rows.append(Row(number, code, result, ct, tested_at))
    checked.rows = len(rows) + len({e.row for e in errors})
    if not checked.rows:
        errors.append(RowError(layout.header_row + 2, "", _("The file has no rows under its headings.")))
        return
    facts = _sample_facts(list(first_row))
    rules = lab_rules(timezone.localdate(now))
    latest = now + CLOCK_SKEW
    lab = checked.laboratory
    for row in rows:
        known = facts.get(row.code)
        if known is None:
            errors.append(RowError(row.number, "code", _("Unknown sample code %(code)s.") % {"code": row.code},
                                   code=row.code, column=columns["code"]))
            continue
        sample_id, status, test_type, collected_at, has_swabs, lab_id, pooled, result, ct = known
        problems = result_problems(SampleFacts(status, test_type, collected_at, int(has_swabs), lab_id),
                                   result=row.result, ct_value=row.ct, tested_at=row.tested_at, laboratory=lab,
                                   rules=rules, latest=latest)
        if not problems and status == SampleStatus.RELEASED:
            if result == row.result and ct == row.ct:
                checked.unchanged += 1  # sent again in a later file: nothing to do
                continue
            problems.append((LabErrorCode.ALREADY_RELEASED, "result", _(
                "The result of this sample was already released (%(result)s); a correction is entered on the "
                "sample's page with its reason.") % {"result": Result(result).label if result else "—"}))
        if problems:
            errors.extend(RowError(row.number, f, str(m), code=row.code,
                                   column=columns.get(_FIELD_OF.get(f, f), ""))
                          for _c, f, m in problems)
            continue
        checked.apply.append((sample_id, row.result, row.ct, row.tested_at or now, row.code, pooled, collected_at,
                              row.number))
    errors.sort(key=lambda e: e.row)


_FIELD_OF = {"ct_value": "ct"}  # result_problems' field names → this file's


# ---- writing ----------------------------------------------------------------------------------------------------

def import_refused(*, checked: Checked, by) -> ResultImport:
    """Keep a refused file with its errors (for the report and the history); nothing else is written."""
    actor = by if getattr(by, "is_authenticated", False) else None
    record = ResultImport.objects.create(
        laboratory=checked.laboratory, mapping=checked.mapping, filename=checked.filename, sha256=checked.sha256,
        status=ImportStatus.FAILED, rows=checked.rows, error_count=len(checked.errors),
        errors=[e.as_list() for e in checked.errors[:MAX_KEPT_ERRORS]],
        duration_ms=int((time.perf_counter() - checked.began) * 1000), created_by=actor, changed_by=actor)
    audit_record(actor=by, action=AuditAction.IMPORT, object_type="labs_result_file", object_id=record.pk,
                 detail={"status": "failed", "errors": len(checked.errors)})
    return record


_SETTABLE = ("collected", "received", "tested")  # a released or rejected sample is never overwritten here


def import_apply(*, checked: Checked, release: bool = True, by, now: datetime | None = None
                 ) -> tuple[ResultImport, Released | None]:
    """Write a checked file's results (status released, or tested when `release` is False) and, when
    released, what follows inside the laboratory (swab outcomes, messages, audit). Runs in the caller's
    transaction: a failure after this (the workflow's cases) undoes it all."""
    if not checked.ok:
        raise DomainError(LabErrorCode.IMPORT_ROWS, _("The file has errors; nothing was imported."), field="file")
    now = now or timezone.now()
    actor = by if getattr(by, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            record = ResultImport.objects.create(
                laboratory=checked.laboratory, mapping=checked.mapping, filename=checked.filename,
                sha256=checked.sha256, status=ImportStatus.APPLIED, released=release, rows=checked.rows,
                created_by=actor, changed_by=actor)
    except IntegrityError:  # the same file applied meanwhile by someone else
        earlier = ResultImport.objects.filter(laboratory=checked.laboratory, sha256=checked.sha256,
                                              status=ImportStatus.APPLIED).first()
        raise already_imported(earlier) from None
    written = _update_samples(checked.apply, laboratory=checked.laboratory, record=record, release=release,
                              actor=actor, now=now)
    if written != len(checked.apply):
        raise DomainError(LabErrorCode.IMPORT_ROWS, _(
            "Some samples of this file were changed while it was being imported; import it again."), field="file")
    released = None
    if release:
        released = results_released(
            samples={r[0]: (r[4], r[5], r[1], r[6]) for r in checked.apply}, by=by, now=now,
            detail={"import": str(record.pk)}, import_id=record.pk)
        record.refresh_from_db(fields=["summary"])  # a telling task run at once (tests) counted in it already
    record.applied = written
    record.positives = sum(1 for r in checked.apply if r[1] == Result.POSITIVE)
    record.summary = {"unchanged": checked.unchanged, **(released.outcomes if released else {}),
                      **_told(record, released)}
    record.duration_ms = int((time.perf_counter() - checked.began) * 1000)
    record.save(update_fields=["applied", "positives", "summary", "duration_ms", "changed_at"])
    audit_record(actor=by, action=AuditAction.IMPORT, object_type="labs_result_file", object_id=record.pk,
                 detail={"status": "applied", "rows": written, "released": release})
    return record, released


def _update_samples(rows: list[tuple], *, laboratory: Laboratory, record: ResultImport, release: bool, actor,
                    now: datetime) -> int:
    """One UPDATE per batch: executemany on SQLite, UPDATE … FROM unnest(arrays) on PostgreSQL. Returns the
    number of samples written (less than asked if some were released or rejected meanwhile)."""
    table = connection.ops.quote_name(Sample._meta.db_table)
    status = SampleStatus.RELEASED if release else SampleStatus.TESTED
    actor_id = actor.pk if actor is not None else None
    released_by = actor_id if release else None
    settable = ", ".join(f"'{s}'" for s in _SETTABLE)
    written = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            sql = (f"UPDATE {table} AS s SET status = %s, result = v.result, ct_value = v.ct, tested_at = v.tested_at, "
                   "received_at = COALESCE(s.received_at, v.tested_at), laboratory_id = %s, released_at = %s, "
                   "released_by_id = %s, result_import_id = %s, changed_at = %s, changed_by_id = %s "
                   "FROM unnest(%s::uuid[], %s::text[], %s::float8[], %s::timestamptz[]) AS v(id, result, ct, tested_at) "
                   f"WHERE s.id = v.id AND s.status IN ({settable})")
            for batch in chunked(rows, BATCH * 4):
                cursor.execute(sql, [status, laboratory.pk, now if release else None, released_by, record.pk, now,
                                     actor_id, [r[0] for r in batch], [r[1] for r in batch], [r[2] for r in batch],
                                     [r[3] for r in batch]])
                written += cursor.rowcount
        else:
            sql = (f"UPDATE {table} SET status = ?, result = ?, ct_value = ?, tested_at = ?, "
                   "received_at = COALESCE(received_at, ?), laboratory_id = ?, released_at = ?, released_by_id = ?, "
                   f"result_import_id = ?, changed_at = ?, changed_by_id = ? WHERE id = ? AND status IN ({settable})")
            lab, rec, at = laboratory.pk.hex, record.pk.hex, db_datetime(now)
            released_at = at if release else None
            raw = cursor.cursor
            for batch in chunked(rows, BATCH):
                params = []
                for sample_id, result, ct, tested_at, *_rest in batch:
                    tested = db_datetime(tested_at)
                    params.append((status, result, ct, tested, tested, lab, released_at, released_by, rec, at, actor_id,
                                   sample_id.hex))
                raw.executemany(sql, params)
                written += raw.rowcount
    return written


@transaction.atomic
def import_release(*, result_import: ResultImport, by, now: datetime | None = None) -> Released:
    """Release the results of a file imported as tested (the second step)."""
    require_perm(by, Perm.LABS_RESULT)
    now = now or timezone.now()
    record = ResultImport.objects.select_for_update().get(pk=result_import.pk)
    if record.status != ImportStatus.APPLIED or record.released:
        raise DomainError(LabErrorCode.ALREADY_RELEASED, _("The results of this file were already released."))
    samples = {pk: (code, pooled, result, collected_at) for pk, code, pooled, result, collected_at in
               Sample.objects.filter(result_import=record, status=SampleStatus.TESTED)
               .values_list("pk", "code", "pooled", "result", "collected_at")}
    actor = by if getattr(by, "is_authenticated", False) else None
    for batch in chunked(list(samples), BATCH):
        Sample.objects.filter(pk__in=batch, status=SampleStatus.TESTED).update(
            status=SampleStatus.RELEASED, released_at=now, released_by=actor, changed_at=now, changed_by=actor)
    released = results_released(samples=samples, by=by, now=now, detail={"import": str(record.pk)},
                                import_id=record.pk)
    record.refresh_from_db(fields=["summary"])
    record.released = True
    record.summary = {**record.summary, **released.outcomes, **_told(record, released)}
    record.save(update_fields=["released", "summary", "changed_at"])
    audit_record(actor=by, action="labs.import_release", object_type="labs_result_file", object_id=record.pk,
                 detail={"samples": len(samples)})
    return released


def _told(record: ResultImport, released: Released | None) -> dict[str, int]:
    """The summary's "notified" (people told so far) and "telling" (people left to background tasks)."""
    if released is None:
        return {"notified": 0}
    told = {"notified": record.summary.get("notified", 0) + released.notified}
    if released.telling:
        told["telling"] = released.telling
    return told


def import_summary_add(*, result_import: ResultImport, counts: dict[str, int]) -> None:
    """Counts from what followed beyond the laboratory (cases confirmed, linked), kept with the import."""
    result_import.summary = {**result_import.summary, **counts}
    result_import.save(update_fields=["summary", "changed_at"])


def import_laboratory(*, laboratory_id, by) -> Laboratory:
    """The laboratory a user imports for: lab staff their own; others (province) any they name."""
    require_perm(by, Perm.LABS_RESULT)
    own = user_laboratory(by)
    if own is not None:
        if laboratory_id and str(laboratory_id) != str(own.pk):
            raise NotFound(LabErrorCode.LAB_NOT_FOUND, _("Laboratory not found."), field="laboratory")
        return own
    if getattr(by, "jurisdiction_place_id", None):  # another kind of place: no laboratory to import for
        raise NotFound(LabErrorCode.LAB_NOT_FOUND, _("Laboratory not found."), field="laboratory")
    try:
        UUID(str(laboratory_id))
    except ValueError:
        raise NotFound(LabErrorCode.LAB_NOT_FOUND, _("Choose the laboratory."), field="laboratory") from None
    lab = Laboratory.objects.select_related("place__commune").filter(pk=laboratory_id).first()
    if lab is None or (not is_system(by) and not unit_in_scope(scope_for(by), lab.place.commune)):
        raise NotFound(LabErrorCode.LAB_NOT_FOUND, _("Laboratory not found."), field="laboratory")
    return lab

