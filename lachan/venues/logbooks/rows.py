"""The rows of a logbook file read and checked: headings in English or Vietnamese, each distinct cell value
parsed once (names, phones, births, communes, times), the errors of each row in the reader's words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.core.db import is_sqlite
from lachan.core.errors import DomainError
from lachan.core.numbers import is_ascii_digits
from lachan.core.phones import MOBILE_NUMBER
from lachan.core.tables import RowError
from lachan.core.text import fold, normalize_name
from lachan.geo.models import AdminLevel, AdminUnit
from lachan.people.identity import phone_normalize

from ..models import Venue
from ..services import CLOCK_SKEW, in_province

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
