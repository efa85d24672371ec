"""Paper logbook import: a CSV or Excel sheet typed from a venue's paper register.

Every row is validated before anything is written; the file is applied whole or not at all, with a
row-by-row error report. A check-in the file or the venue already has (same person, same time) is
skipped. A venue owner is not a registry of people: people the register does not have yet are held, with their
visits, for the commune station's review (logbook_review.py); and a file beyond what the venue can hold (check-ins
a day for its capacity or size, people present at once for its capacity) is held whole, nothing written, until
the station accepts or rejects it. Built for speed (tens of thousands of rows a second): each distinct cell value validated once,
communes resolved from one dictionary, people from one query per batch of phones (one on PostgreSQL),
check-ins and new people written with executemany / COPY."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.audit import audit_record
from lachan.accounts.models import AuditAction
from lachan.core.db import bulk_copy, is_sqlite
from lachan.core.errors import DomainError
from lachan.core.exports import csv_text
from lachan.core.numbers import is_ascii_digits
from lachan.core.phones import MOBILE_NUMBER
from lachan.core.tables import RowError, Table, TableError, table_read
from lachan.core.text import fold, normalize_name
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.identity import phone_normalize
from lachan.people.models import Person

from ..errors import VenueErrorCode
from ..models import CheckIn, CheckInSource, LogbookImport, LogbookStatus, LogbookVisitor, Venue, VenueSize
from ..policy import checkin_rules
from ..services import CLOCK_SKEW, in_province

MAX_ROWS = 1_000_000
MAX_BYTES = 2**30  # not a limit of its own: MAX_ROWS decides
# Sanity limits relative to the venue, above which the station reviews the file before anything is written.
TURNS_PER_DAY = 12  # check-ins a day per place of capacity (a salon chair: 45 minutes, 9 hours a day)
PRESENCE_SLACK = 2  # people present at once, at most capacity × this (assumed check-outs overlap)
CHECKINS_PER_DAY = {VenueSize.SMALL_ENCLOSED: 150, VenueSize.LARGE: 2000}  # when the capacity is not known
BATCH = 5_000
_CHECKIN_COLUMNS = ["venue_id", "person_id", "checked_in_at", "checked_out_at", "checkout_assumed", "source",
                    "client_key"]

# Header (folded, without diacritics) → field. English and Vietnamese headings both work.
HEADERS = {
    "full name": "full_name", "name": "full_name", "ho ten": "full_name", "ho va ten": "full_name",
    "phone": "phone", "so dien thoai": "phone", "dien thoai": "phone", "sdt": "phone",
    "year of birth": "birth_year", "nam sinh": "birth_year",
    "date of birth": "birth_date", "ngay sinh": "birth_date",
    "commune": "commune", "xa": "commune", "xa/phuong": "commune", "phuong/xa": "commune", "xa phuong": "commune",
    "check-in": "checked_in_at", "check in": "checked_in_at", "check-in time": "checked_in_at",
    "checked in at": "checked_in_at", "gio vao": "checked_in_at", "thoi gian vao": "checked_in_at",
    "check-out": "checked_out_at", "check out": "checked_out_at", "check-out time": "checked_out_at",
    "checked out at": "checked_out_at", "gio ra": "checked_out_at", "thoi gian ra": "checked_out_at",
    "venue": "venue", "venue code": "venue", "ma dia diem": "venue",
}
REQUIRED = ("full_name", "phone", "commune", "checked_in_at")
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                 "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


# What the reader is told a column is (the error table, its CSV, a missing column): never the field's key.
COLUMN_LABELS = {
    "full_name": gettext_lazy("full name"), "phone": gettext_lazy("phone"), "birth_year": gettext_lazy("year of birth"),
    "birth_date": gettext_lazy("date of birth"), "commune": gettext_lazy("commune"),
    "checked_in_at": gettext_lazy("check-in time"), "checked_out_at": gettext_lazy("check-out time"),
    "venue": gettext_lazy("venue"),
}


def column_label(field_name: str) -> str:
    return ", ".join(str(COLUMN_LABELS.get(f.strip(), f.strip())) for f in field_name.split(",")) if field_name else ""


_column_label_lazy = lazy(column_label, str)


def _row_error(row: int, field_name: str, message: str) -> RowError:
    """The column named in the reader's language when the error is shown (lazily), not when the file is read."""
    return RowError(row, field_name, message, column=_column_label_lazy(field_name))


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


def _parse_time(value: Any, tz=None, formats: list[str] | None = None) -> datetime | None:
    """formats: the caller's copy of _TIME_FORMATS, the one that worked moved first: a logbook is typed in
    one format, and as no text matches two of them the order changes no result (tested)."""
    if isinstance(value, datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    text = str(value or "").strip()
    if not text:
        return None
    if is_ascii_digits(text[:1]) and text[4:5] == "-" and len(text) >= 16:  # ISO first: fast, same result
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return timezone.make_aware(parsed, tz) if parsed.tzinfo is None else parsed
    for fmt in formats or _TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if formats and formats[0] != fmt:
            formats.remove(fmt)
            formats.insert(0, fmt)
        return timezone.make_aware(parsed, tz)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(text) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")  # as core.db.db_datetime, minus its checks


def db_datetime_text(value: datetime) -> str:
    """An aware time as bulk_copy writes it (the import's to_db)."""
    return _sqlite_datetime(value) if is_sqlite() else value.isoformat()


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _commune_index() -> tuple[dict[str, int], dict[str, int | None]]:
    """Communes of the province by code and by folded name (None when a name is ambiguous), and by the name with
    its district, as the pages show it ("Phường 1, TP. Mỹ Tho") or written in full ("Phường 1, Thành phố Mỹ Tho")."""
    by_code: dict[str, int] = {}
    by_name: dict[str, int | None] = {}
    with_district: dict[str, int] = {}
    for unit in AdminUnit.objects.filter(level=AdminLevel.COMMUNE).select_related("parent"):
        if not in_province(unit):
            continue
        by_code[unit.code] = unit.pk
        key = fold(unit.name)
        by_name[key] = None if key in by_name else unit.pk
        if unit.parent_id and unit.label != unit.name:
            with_district[fold(unit.label)] = with_district[fold(f"{unit.name}, {unit.parent.name}")] = unit.pk
    return by_code, {**by_name, **with_district}


def _word_of(word: str) -> tuple[str, str]:
    name = normalize_name(word)
    return name, fold(name)


def _name_of(raw, words) -> tuple[str, str, tuple]:
    """(normalize_name, its fold, errors), word by word (`words`: _word_of, memoised): both functions work
    on each whitespace-separated word alone (tested), and names share a few hundred words."""
    parts = [words[w] for w in str(raw or "").split()]
    name = " ".join([p[0] for p in parts])
    folded = " ".join([p[1] for p in parts if p[1]])
    if not folded or len(name) > 150:
        return name, folded, (("full_name", _("Enter the full name (at most 150 characters).")),)
    return name, folded, ()


def _phone_of(raw) -> tuple[str, tuple]:
    try:
        return phone_normalize(str(raw or "")), ()
    except DomainError as exc:
        return "", (("phone", str(exc.message)),)


def _birth_of(raw_date, raw_year, this_year: int) -> tuple[date | None, int | None, tuple]:
    errors = []
    birth_date = birth_year = None
    try:
        birth_date = _parse_date(raw_date)
    except ValueError:
        errors.append(("birth_date", _("Not a valid date.")))
    if raw_year not in (None, ""):
        try:
            birth_year = int(float(str(raw_year).strip()))
        except (ValueError, OverflowError):  # OverflowError: "inf"
            birth_year = -1
    elif birth_date:
        birth_year = birth_date.year
    if birth_year is None or not 1900 <= birth_year <= this_year:
        errors.append(("birth_year", _("The year of birth must be between 1900 and this year.")))
    elif birth_date and birth_date.year != birth_year:
        errors.append(("birth_year", _("The year of birth does not match the date of birth.")))
    return birth_date, birth_year, tuple(errors)


def _commune_of(raw, by_code: dict, by_name: dict) -> tuple[int | None, tuple]:
    raw_commune = str(raw or "").strip()
    commune_id = by_code.get(raw_commune) or by_name.get(fold(raw_commune))
    if commune_id is not None:
        return commune_id, ()
    message = (_("%(value)s names several communes; add its district (as in “Phường 1, TP. Mỹ Tho”) or use the "
                 "commune code.") if fold(raw_commune) in by_name
               else _("Unknown commune: %(value)s.")) % {"value": raw_commune or '""'}
    return None, (("commune", message),)


def _venue_of(raw, code: str) -> tuple:
    raw_venue = str(raw or "").strip()
    if raw_venue and raw_venue != code:  # a logbook belongs to the venue it is imported for
        return (("venue", _("Unknown venue: %(value)s.") % {"value": raw_venue}),)
    return ()


def _times_of(raw_in, raw_out, *, tz, formats: list[str], rules, oldest: datetime, latest: datetime, stay: timedelta,
              to_db) -> tuple:
    """(check-in as a timestamp, its database value, the check-out's, check-out assumed, errors, check-in)."""
    errors = []
    checked_in = checked_out = None
    try:
        checked_in = _parse_time(raw_in, tz, formats)
        if checked_in is None:
            errors.append(("checked_in_at", _("Enter the check-in time.")))
    except ValueError:
        errors.append(("checked_in_at", _("Not a valid time (use YYYY-MM-DD HH:MM).")))
    try:
        checked_out = _parse_time(raw_out, tz, formats)
    except ValueError:
        errors.append(("checked_out_at", _("Not a valid time (use YYYY-MM-DD HH:MM).")))
    if checked_in is not None:
        if checked_in > latest:
            errors.append(("checked_in_at", _("The time is in the future.")))
        elif checked_in < oldest:
            errors.append(("checked_in_at", _("The time is more than %(days)d days ago.") % {"days": rules.horizon_days}))
        if checked_out is not None:
            if checked_out <= checked_in:
                errors.append(("checked_out_at", _("The check-out is not after the check-in.")))
            elif checked_out - checked_in > rules.max_stay:
                errors.append(("checked_out_at", _("A stay of more than %(minutes)d minutes is not accepted.")
                               % {"minutes": rules.max_stay_minutes}))
            elif checked_out > latest:
                errors.append(("checked_out_at", _("The time is in the future.")))
    if errors:
        return None, None, None, None, tuple(errors), None
    return (checked_in.timestamp(), to_db(checked_in), to_db(checked_out or checked_in + stay), checked_out is None, (),
            checked_in)


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


class _Memo(dict):
    """fn(key), computed once per distinct key. Lookups that hit stay in C (no method call)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        value = self[key] = self.fn(key)
        return value


class _NoMemo:
    """fn(key) every time, for Excel cells: equal keys can be different cells there (True == 1, yet
    str() tells them apart); reading the file with openpyxl takes far longer than validating it anyway."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, key):
        return self.fn(key)


def _validate(table: list[list[Any]], header: list[str | None], *, venue: Venue, now: datetime, rules,
              errors: list[RowError], text_cells: bool) -> tuple[list[tuple], dict, int, int]:
    """Every row checked; errors appended with their row numbers. Returns the valid rows as
    ((phone, folded name), _times_of's answer), each person's data (name, birth date, birth year, commune)
    in file order, the count of non-blank rows and the count of check-ins the file repeats.

    Logbooks repeat names, communes, birth years and times (and regulars repeat phones), so each distinct
    cell value is parsed and validated once (text_cells: all cells are str, as from a CSV file)."""
    col = {f: i for i, f in reversed(list(enumerate(header))) if f}
    absent = 1 << 30  # index of an optional column the file lacks: never < len(row), so its cells are None
    i_name, i_phone, i_commune, i_in = (col[f] for f in REQUIRED)
    i_date, i_year, i_out, i_venue = (col.get(f, absent) for f in ("birth_date", "birth_year", "checked_out_at", "venue"))
    by_code, by_name = _commune_index()
    this_year = timezone.localdate(now).year
    times_of = partial(_times_of, tz=timezone.get_current_timezone(), formats=list(_TIME_FORMATS), rules=rules,
                       oldest=now - rules.horizon, latest=now + CLOCK_SKEW,
                       stay=timedelta(minutes=rules.stay_minutes(venue.kind)),
                       to_db=_sqlite_datetime if is_sqlite() else datetime.isoformat)  # text: COPY's cheapest
    memo = _Memo if text_cells else _NoMemo
    words = memo(_word_of)
    names = memo(lambda raw: _name_of(raw, words))
    phones = memo(_phone_of)
    births = memo(lambda key: _birth_of(*key, this_year))
    communes = memo(lambda raw: _commune_of(raw, by_code, by_name))
    venues = memo(lambda raw: _venue_of(raw, venue.code))
    times = memo(lambda key: times_of(*key))
    is_mobile = MOBILE_NUMBER.fullmatch
    people: dict[tuple[str, str], tuple] = {}
    seen: set = set()
    parsed: list[tuple] = []
    count = duplicates = 0
    for number, row in enumerate(table):
        if number == 0:
            continue  # the header
        try:
            if not "".join(row).strip():
                continue
        except TypeError:  # Excel cells: numbers, dates, None
            if not any(str(v or "").strip() for v in row):
                continue
        count += 1
        n = len(row)
        name_got = names[row[i_name] if i_name < n else None]
        raw = row[i_phone] if i_phone < n else None
        phone_got = (raw, ()) if raw.__class__ is str and is_mobile(raw) else phones[raw]  # most: as they are
        birth_got = births[row[i_date] if i_date < n else None, row[i_year] if i_year < n else None]
        commune_got = communes[row[i_commune] if i_commune < n else None]
        venue_errors = venues[row[i_venue] if i_venue < n else None]
        time_got = times[row[i_in] if i_in < n else None, row[i_out] if i_out < n else None]
        if name_got[2] or phone_got[1] or birth_got[2] or commune_got[1] or venue_errors or time_got[4]:
            errors.extend(_row_error(number + 1, f, m) for f, m in (
                *name_got[2], *phone_got[1], *birth_got[2], *commune_got[1], *venue_errors, *time_got[4]))
            continue
        if errors:
            continue  # nothing will be written: only look for more errors
        key = (phone_got[0], name_got[1])
        if key not in people:  # a new person is made from the first row that names them
            people[key] = (name_got[0], birth_got[0], birth_got[1], commune_got[0])
        before = len(seen)
        seen.add((key, time_got[0]))  # the check-in as a timestamp: cheaper to hash than an aware datetime
        if len(seen) == before:
            duplicates += 1
            continue
        parsed.append((key, time_got))
    return parsed, people, count, duplicates


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
