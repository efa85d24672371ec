"""Paper logbook import: a CSV or Excel sheet typed from a venue's paper register.

Every row is validated before anything is written; the file is applied whole or not at all, with a
row-by-row error report. A check-in the file or the venue already has (same person, same time) is
skipped. A venue owner is not a registry of people: people the register does not have yet are held, with their
visits, for the commune station's review (review.py); and a file beyond what the venue can hold (check-ins
a day for its capacity or size, people present at once for its capacity) is held whole, nothing written, until
the station accepts or rejects it. Built for speed (tens of thousands of rows a second): each distinct cell value validated once,
communes resolved from one dictionary, people from one query per batch of phones (one on PostgreSQL),
check-ins and new people written with executemany / COPY."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.accounts.audit import audit_record
from lachan.accounts.models import AuditAction
from lachan.core.db import bulk_copy, is_sqlite
from lachan.core.errors import DomainError
from lachan.core.exports import csv_text
from lachan.core.numbers import is_ascii_digits
from lachan.core.tables import RowError, Table, TableError, table_read
from lachan.core.text import fold
from lachan.people.models import Person

from ..errors import VenueErrorCode
from ..models import CheckIn, CheckInSource, LogbookImport, LogbookStatus, LogbookVisitor, Venue, VenueSize
from ..policy import checkin_rules
from .rows import HEADERS, REQUIRED, _row_error, _validate, column_label

MAX_ROWS = 1_000_000
MAX_BYTES = 2**30  # not a limit of its own: MAX_ROWS decides
# Sanity limits relative to the venue, above which the station reviews the file before anything is written.
TURNS_PER_DAY = 12  # check-ins a day per place of capacity (a salon chair: 45 minutes, 9 hours a day)
PRESENCE_SLACK = 2  # people present at once, at most capacity × this (assumed check-outs overlap)
CHECKINS_PER_DAY = {VenueSize.SMALL_ENCLOSED: 150, VenueSize.LARGE: 2000}  # when the capacity is not known
BATCH = 5_000
_CHECKIN_COLUMNS = ["venue_id", "person_id", "checked_in_at", "checked_out_at", "checkout_assumed", "source",
                    "client_key"]


@dataclass
class LogbookResult:
    rows: int = 0
    created: int = 0
    people_created: int = 0  # always 0: new people are held for the station (people_held)
    people_held: int = 0
    duplicates: int = 0  # rows repeating a check-in of the file or of the venue, skipped
    errors: list[RowError] = field(default_factory=list)
    held: bool = False  # over the venue's limits: nothing written, the station decides
    reasons: list[dict] = field(default_factory=list)
    logbook: LogbookImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_csv(self) -> str:
        return csv_text([_("row"), _("column"), _("error")], ([e.row, str(e.column), e.message] for e in self.errors))


def read_table(data: bytes, filename: str) -> Table:
    """Rows of a CSV (UTF-8, Windows-1258 or UTF-16; comma, semicolon or tab) or .xlsx file, header first."""
    if not data:
        return Table(rows=[], encoding="")  # reported on its first row, as a file without rows
    try:
        return table_read(data, filename, max_bytes=MAX_BYTES, max_rows=MAX_ROWS + 1, header_rows=1)
    except TableError as exc:
        raise DomainError(VenueErrorCode.IMPORT_FILE, exc.message, field="file") from None


def _known_people(phones: list[str]) -> dict[tuple[str, str], str]:
    """(phone, folded name) → id (32 hex digits) of the active people with these phones; the oldest wins."""
    # Raw SQL: the ORM spent longer preparing 5,000 parameters per batch than the database answering.
    qn, meta = connection.ops.quote_name, Person._meta
    pk, phone_col, name_col, merged = (qn(meta.get_field(f).column) for f in ("id", "phone", "search_name", "merged_into"))
    # SQLite keeps uuids as hex text; PostgreSQL's server turns them into hex faster than uuid objects are made.
    select_id = pk if is_sqlite() else f"replace({pk}::text, '-', '')"
    sql = (f"SELECT {select_id}, {phone_col}, {name_col} FROM {qn(meta.db_table)} "
           f"WHERE {merged} IS NULL AND {phone_col} ")  # as Person.objects.active()
    if is_sqlite():
        batches = [(sql + f"IN ({', '.join(['%s'] * len(b))})", b)
                   for b in (phones[i:i + BATCH] for i in range(0, len(phones), BATCH))]
    else:  # one query, the array sent as one text literal: 3-4 times less CPU than psycopg adapting a list
        literal = ",".join(phones)
        if phones and not is_ascii_digits(literal.replace(",", "")):  # normalised phones are digits: nothing to quote
            raise ValueError("phone numbers must be normalised")
        batches = [(sql + "= ANY(%s::varchar[])", ["{" + literal + "}"])]
    known: dict[tuple[str, str], str] = {}
    with connection.cursor() as cursor:
        for query, params in batches:
            cursor.execute(query, params)
            for person_id, phone, search_name in cursor.fetchall():
                older = known.get((phone, search_name))
                if older is None or person_id < older:  # uuid7 hex: text order is age order
                    known[(phone, search_name)] = person_id
    return known


@contextmanager
def _without_cyclic_gc():
    """The cyclic garbage collector walked the file's rows and the import's tables a few times per import
    (10-15% of its time); nothing here makes reference cycles, so it waits until the import is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def logbook_import(*, venue: Venue, data: bytes, filename: str, by, now: datetime | None = None) -> LogbookResult:
    """Validate every row; if all are valid, write them all, else write nothing (see result.errors).
    A row repeating a check-in (same person, same check-in time) of the file or of the venue is skipped."""
    with _without_cyclic_gc():
        return _import(venue=venue, data=data, filename=filename, by=by, now=now)


def _import(*, venue: Venue, data: bytes, filename: str, by, now: datetime | None) -> LogbookResult:
    now = now or timezone.now()
    read = read_table(data, filename)
    table = read.rows
    result = LogbookResult()
    if not table:
        result.errors.append(_row_error(1, "", _("The file is empty.")))
        return result
    header = [HEADERS.get(fold(str(h or "")).strip()) for h in table[0]]
    missing = [f for f in REQUIRED if f not in header]
    if "birth_year" not in header and "birth_date" not in header:
        missing.append("birth_year")
    if missing:
        result.errors.append(_row_error(1, ", ".join(missing), _("Missing columns: %(cols)s.") % {"cols": column_label(", ".join(missing))}))
        return result
    if len(table) - 1 > MAX_ROWS:
        result.errors.append(_row_error(1, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS}))
        return result
    rules = checkin_rules(timezone.localdate(now))
    parsed, new_people_data, result.rows, duplicates = _validate(
        table, header, venue=venue, now=now, rules=rules, errors=result.errors, text_cells=read.encoding != "xlsx")
    if result.errors or not parsed:
        if not result.errors:
            result.errors.append(_row_error(2, "", _("The file has no rows.")))
        return result

    reasons = logbook_over_limits(venue, parsed)
    actor = by if by is not None and by.is_authenticated else None
    with transaction.atomic():
        # (phone, folded name) identifies a person, as at the door.
        known = _known_people(sorted({key[0] for key in new_people_data}))
        new_keys = [key for key in new_people_data if key not in known]  # file order
        logbook = LogbookImport.objects.create(
            venue=venue, filename=str(filename or "")[:200], rows=result.rows, reasons=reasons,
            status=LogbookStatus.HELD if reasons else LogbookStatus.APPLIED, created_by=actor, changed_by=actor)
        held = set(new_people_data) if reasons else set(new_keys)
        _visitors_hold(logbook, [key for key in new_people_data if key in held], new_people_data, known,
                       [(key, got) for key, got in parsed if key in held])
        if not reasons:
            written, skipped = checkins_write(venue=venue, items=[(known[key], got) for key, got in parsed
                                                                  if key not in held])
            duplicates += skipped
            logbook.checkins_written = written
            logbook.save(update_fields=["checkins_written"])
        audit_record(actor=by, action=AuditAction.IMPORT, object_type="venue_logbook", object_id=logbook.pk,
                     detail={"venue": str(venue.pk), "rows": result.rows, "held": bool(reasons),
                             "people_held": len(held)})
    result.created = logbook.checkins_written
    result.duplicates = duplicates
    result.people_held = len(held)
    result.held, result.reasons, result.logbook = bool(reasons), reasons, logbook
    return result


def logbook_limits(venue: Venue) -> tuple[int, int | None]:
    """(check-ins a day, people present at once) a logbook of this venue may hold without the station's review."""
    if venue.capacity:
        return venue.capacity * TURNS_PER_DAY, venue.capacity * PRESENCE_SLACK
    return CHECKINS_PER_DAY.get(venue.size, CHECKINS_PER_DAY[VenueSize.SMALL_ENCLOSED]), None


def _aware(text: str) -> datetime:
    """A check-out as _times_of gives it to the database (SQLite: naive UTC text), as an aware datetime."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def logbook_over_limits(venue: Venue, parsed: list[tuple]) -> list[dict]:
    """Why the file is beyond what the venue can hold (empty: it is not). Check-ins a day count those the venue
    has already (a logbook split into several files is counted whole); people present at once, when the
    capacity is known, from the file's own stays."""
    per_day_limit, presence_limit = logbook_limits(venue)
    tz = timezone.get_current_timezone()
    days: dict[date, int] = {}
    for _key, got in parsed:
        day = got[5].astimezone(tz).date()
        days[day] = days.get(day, 0) + 1
    reasons = []
    if days:  # what the venue has already those days counts too (a logbook split into several files)
        low = datetime.combine(min(days), datetime.min.time(), tz)
        high = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), tz)
        for day, count in (CheckIn.objects.filter(venue=venue, checked_in_at__gte=low, checked_in_at__lt=high)
                           .annotate(day=TruncDate("checked_in_at", tzinfo=tz)).values("day")
                           .annotate(n=Count("id")).values_list("day", "n").order_by()):
            if day in days:
                days[day] += count
    for day, count in sorted(days.items()):
        if count > per_day_limit:
            reasons.append({"code": "checkins_per_day", "day": day.isoformat(), "count": count, "limit": per_day_limit})
    if presence_limit is not None:
        events = sorted([(got[0], 1) for _key, got in parsed] + [(_aware(got[2]).timestamp(), -1) for _key, got in parsed])
        present = peak = 0
        peak_at = None
        for at, step in events:  # a check-out before a check-in at the same instant (-1 sorts first)
            present += step
            if present > peak:
                peak, peak_at = present, at
        if peak > presence_limit:
            reasons.append({"code": "present_at_once", "at": datetime.fromtimestamp(peak_at, tz).isoformat(),
                            "count": peak, "limit": presence_limit})
    return reasons


def _visitors_hold(logbook: LogbookImport, keys: list, people: dict, known: dict, parsed: list) -> None:
    """The people of `keys` with their visits, as LogbookVisitor rows waiting for the station."""
    if not keys:
        return
    visits: dict[tuple, list] = {}
    for key, got in parsed:
        visits.setdefault(key, []).append([got[5].isoformat(), _aware(got[2]).isoformat(), got[3]])
    LogbookVisitor.objects.bulk_create([
        LogbookVisitor(logbook=logbook, full_name=name, search_name=folded, phone=phone, birth_date=birth_date,
                       birth_year=birth_year, commune_id=commune_id,
                       known_person_id=known[(phone, folded)] if (phone, folded) in known else None,
                       visits=visits.get((phone, folded), []))
        for phone, folded in keys for name, birth_date, birth_year, commune_id in (people[(phone, folded)],)
    ], batch_size=2000)


def checkins_write(*, venue: Venue, items: list[tuple[str, tuple]]) -> tuple[int, int]:
    """Write logbook check-ins: items are (person id as 32 hex digits or a uuid, _times_of's answer). Those the
    venue already has (same person, same check-in time) are skipped. Returns (written, skipped). In the caller's
    transaction."""
    if not items:
        return 0, 0
    recorded = set()
    times = {got[5] for _person, got in items}
    recorded = {(pk.hex, at.timestamp()) for pk, at in CheckIn.objects.filter(
        venue=venue, checked_in_at__gte=min(times), checked_in_at__lte=max(times)
    ).values_list("person_id", "checked_in_at").iterator(chunk_size=BATCH)}
    venue_hex, source = venue.pk.hex, str(CheckInSource.LOGBOOK.value)
    rows, skipped = [], 0
    for person, (at, db_in, db_out, assumed, _e, _d) in items:
        person_hex = person if isinstance(person, str) else person.hex
        if (person_hex, at) in recorded:
            skipped += 1
            continue
        recorded.add((person_hex, at))
        rows.append((venue_hex, person_hex, db_in, db_out, assumed, source, ""))
    # Straight to the table (executemany / COPY): the ORM's per-field preparation was most of the time.
    bulk_copy(CheckIn._meta.db_table, _CHECKIN_COLUMNS, rows, batch_size=BATCH)
    return len(rows), skipped
