"""A laboratory's result file as read: CSV (UTF-8, Windows-1258 or UTF-16, as Vietnamese Excel saves them) or
Excel (.xlsx) through core.tables, and its layout: which column is the code, the result, the Ct value and the
test date — a laboratory's ColumnMapping, or the common headings recognised without one. Checking and writing
the rows is lachan.labs.results.imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lachan.accounts.audit import audit_record
from lachan.accounts.roles import Perm
from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.tables import TableError, table_read
from lachan.core.text import fold

from ..access import require_perm
from ..errors import LabErrorCode
from ..models import ColumnMapping, Laboratory, Result

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 15  # labs put a title and the lab's name above the headings

FIELDS = ("code", "result", "ct", "tested_at")
FIELD_LABELS = {
    "code": gettext_lazy("sample or pool code"), "result": gettext_lazy("result"), "ct": gettext_lazy("Ct value"),
    "tested_at": gettext_lazy("test date"),
}
REQUIRED = ("code", "result")
# Headings as labs send them, folded (lower case, no diacritics) → field.
HEADINGS = {
    "code": ("ma mau", "ma ong", "sample id", "sample code", "ma so mau", "ma mau gop", "ma gop", "ma ong mau",
             "pool id", "pool code", "code", "ma", "ma xet nghiem", "barcode", "ma vach", "so hieu mau"),
    "result": ("ket qua", "result", "ket qua xet nghiem", "kq", "kq xet nghiem", "test result", "ket luan"),
    "ct": ("ct", "gia tri ct", "ct n gene", "ct gen n", "ct value", "ct n", "n gene", "gen n", "chi so ct"),
    "tested_at": ("ngay xet nghiem", "ngay tra ket qua", "ngay tra kq", "ngay xn", "tested at", "test date",
                  "date tested", "ngay thuc hien", "thoi gian xet nghiem", "ngay co ket qua", "result date", "date"),
}
# Result words, folded → Result. A mapping may add its own.
RESULT_WORDS = {
    "am tinh": Result.NEGATIVE, "am": Result.NEGATIVE, "negative": Result.NEGATIVE, "neg": Result.NEGATIVE,
    "-": Result.NEGATIVE, "khong phat hien": Result.NEGATIVE, "not detected": Result.NEGATIVE, "(-)": Result.NEGATIVE,
    "duong tinh": Result.POSITIVE, "duong": Result.POSITIVE, "positive": Result.POSITIVE, "pos": Result.POSITIVE,
    "+": Result.POSITIVE, "phat hien": Result.POSITIVE, "detected": Result.POSITIVE, "(+)": Result.POSITIVE,
    "nghi ngo": Result.INCONCLUSIVE, "khong xac dinh": Result.INCONCLUSIVE, "inconclusive": Result.INCONCLUSIVE,
    "inc": Result.INCONCLUSIVE, "can xet nghiem lai": Result.INCONCLUSIVE, "equivocal": Result.INCONCLUSIVE,
    "khong hop le": Result.INVALID, "invalid": Result.INVALID, "loi": Result.INVALID, "mau loi": Result.INVALID,
}
DATE_FORMATS = {  # the choices a mapping offers; blank: try the common ones, day first as in Vietnam
    "%d/%m/%Y": "dd/mm/yyyy", "%m/%d/%Y": "mm/dd/yyyy", "%Y-%m-%d": "yyyy-mm-dd", "%d-%m-%Y": "dd-mm-yyyy",
    "%d.%m.%Y": "dd.mm.yyyy",
}


def word_key(value: Any) -> str:
    """A result cell as looked up in the words: folded, or the sign itself ("+", "-", "(+)")."""
    text = str(value or "").strip()
    return fold(text) or text.replace(" ", "")


# ---- reading the file ----------------------------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> tuple[list[list[Any]], str]:
    """(rows, what was read: "xlsx" or the CSV's encoding). CSV cells are text; Excel cells keep their types. A
    lab puts a title and its name above the headings: up to HEADER_SEARCH_ROWS rows besides MAX_ROWS."""
    try:
        table = table_read(data, filename, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, header_rows=HEADER_SEARCH_ROWS)
    except TableError as exc:
        code = LabErrorCode.IMPORT_ENCODING if exc.reason == "encoding" else LabErrorCode.IMPORT_FILE
        raise DomainError(code, exc.message, field="file") from None
    return table.rows, table.encoding


# ---- the layout: which column is which ------------------------------------------------------------------------

@dataclass
class Layout:
    header_row: int  # 0-based index in the table
    headings: list[str]
    columns: dict[str, int]  # field → column index
    words: dict[str, str]  # folded result word → Result
    date_format: str = ""

    def heading(self, name: str) -> str:
        index = self.columns.get(name)
        return self.headings[index] if index is not None else ""


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def guess_columns(headings: list[str]) -> dict[str, int]:
    """The common headings recognised: field → column index (the first matching column wins)."""
    found: dict[str, int] = {}
    for index, heading in enumerate(headings):
        key = fold(heading)
        if not key:
            continue
        for name, names in HEADINGS.items():
            if name in found:
                continue
            if key in names or (name == "ct" and key.startswith("ct ")):
                found[name] = index
                break
    return found


def find_header(table: list[list[Any]]) -> int | None:
    """The first row (0-based) among the first few where the code and result headings are both recognised."""
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        found = guess_columns([cell_text(v) for v in row])
        if all(name in found for name in REQUIRED):
            return index
    return None


def layout_for(table: list[list[Any]], mapping: ColumnMapping | None) -> Layout:
    """The mapping's layout, or the common headings found in the file. DomainError(IMPORT_COLUMNS) listing
    what is missing."""
    words = dict(RESULT_WORDS)
    if mapping is not None:
        words.update({word_key(k): v for k, v in (mapping.result_words or {}).items() if v in Result.values})
        index = max(mapping.header_row, 1) - 1
        if index >= len(table):
            raise DomainError(LabErrorCode.IMPORT_COLUMNS, _("The file has no row %(n)d with the headings.")
                              % {"n": index + 1}, field="file")
        headings = [cell_text(v) for v in table[index]]
        folded = [fold(h) for h in headings]
        columns, missing = {}, []
        for name in FIELDS:
            wanted = (mapping.columns or {}).get(name)
            if not wanted:
                continue
            if fold(wanted) in folded:
                columns[name] = folded.index(fold(wanted))
            else:
                missing.append(wanted)
        if missing or any(name not in columns for name in REQUIRED):
            raise DomainError(LabErrorCode.IMPORT_COLUMNS, _(
                "The file does not have the columns of the layout “%(name)s”: %(missing)s. Its headings (row %(row)d) "
                "are: %(found)s.") % {"name": mapping.name, "missing": ", ".join(missing or REQUIRED), "row": index + 1,
                                       "found": ", ".join(h for h in headings if h) or "—"}, field="file")
        return Layout(index, headings, columns, words, mapping.date_format)
    index = find_header(table)
    if index is None:
        first = next((row for row in table[:HEADER_SEARCH_ROWS] if any(cell_text(v) for v in row)), [])
        raise DomainError(LabErrorCode.IMPORT_COLUMNS, _(
            "No sample code and result columns were found (e.g. “Mã mẫu” and “Kết quả”). The first headings are: "
            "%(found)s. Choose or create the laboratory's file layout.")
            % {"found": ", ".join(cell_text(v) for v in first if cell_text(v)) or "—"}, field="file")
    headings = [cell_text(v) for v in table[index]]
    return Layout(index, headings, guess_columns(headings), words)



# ---- layouts (ColumnMapping) ------------------------------------------------------------------------------------

def headings_of(data: bytes, filename: str, *, header_row: int | None = None) -> tuple[int, list[str], list[list[str]]]:
    """(header row, 1-based; its headings; the first rows under it as text) of a sample file, for the page
    that maps a lab's layout once."""
    table, _encoding = read_table(data, filename)
    if header_row:
        index = header_row - 1
    else:
        found = find_header(table)
        if found is None:  # headings unknown: the fullest of the first rows (titles fill one cell)
            counts = [sum(1 for v in row if cell_text(v)) for row in table[:HEADER_SEARCH_ROWS]]
            found = counts.index(max(counts)) if counts else 0
        index = found
    if index >= len(table):
        raise DomainError(LabErrorCode.IMPORT_COLUMNS, _("The file has no row %(n)d.") % {"n": index + 1},
                          field="header_row")
    headings = [cell_text(v) for v in table[index]]
    rows = [[cell_text(v) for v in row] for row in table[index + 1:index + 201]]
    return index + 1, headings, rows


@transaction.atomic(durable=True)
def mapping_save(*, laboratory: Laboratory, name: str, columns: dict[str, str], result_words: dict[str, str],
                 date_format: str = "", header_row: int = 1, mapping: ColumnMapping | None = None, by) -> ColumnMapping:
    """Create or change a laboratory's file layout."""
    require_perm(by, Perm.LABS_RESULT)
    errors = []
    name = " ".join(str(name or "").split())
    if not name or len(name) > 100:
        errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("Give the layout a name (at most 100 characters)."),
                                  field="name"))
    elif ColumnMapping.objects.filter(laboratory=laboratory, name=name).exclude(
            pk=mapping.pk if mapping else None).exists():
        errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("This laboratory already has a layout with this name."),
                                  field="name"))
    clean_columns = {}
    for key, heading in (columns or {}).items():
        heading = " ".join(str(heading or "").split())
        if key not in FIELDS:
            errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("Unknown field %(name)s.") % {"name": key}, field=key))
        elif heading:
            clean_columns[key] = heading[:200]
    for key in REQUIRED:
        if key not in clean_columns:
            errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("Choose the column of the %(field)s.")
                                      % {"field": FIELD_LABELS[key]}, field=key))
    chosen = [fold(h) for h in clean_columns.values()]
    if len(set(chosen)) < len(chosen):
        errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("A column is chosen for two fields."), field="columns"))
    words = {}
    for word, value in (result_words or {}).items():
        if not value:
            continue
        if value not in Result.values:
            errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("Unknown result “%(value)s”.") % {"value": value},
                                      field="result_words"))
        elif word_key(word):
            words[word_key(word)] = value
    if date_format and date_format not in DATE_FORMATS:
        errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("Unknown date format."), field="date_format"))
    if not isinstance(header_row, int) or not 1 <= header_row <= HEADER_SEARCH_ROWS:
        errors.append(DomainError(LabErrorCode.MAPPING_INVALID, _("The headings are on one of the first %(n)d rows.")
                                  % {"n": HEADER_SEARCH_ROWS}, field="header_row"))
    if errors:
        raise ValidationFailed(errors)
    actor = by if getattr(by, "is_authenticated", False) else None
    mapping = mapping or ColumnMapping(laboratory=laboratory, created_by=actor)
    mapping.name, mapping.columns, mapping.result_words = name, clean_columns, words
    mapping.date_format, mapping.header_row, mapping.changed_by = date_format, header_row, actor
    mapping.save()
    audit_record(actor=by, action="labs.mapping_save", object_type="labs_mapping", object_id=mapping.pk,
                 detail={"name": name})
    return mapping


def result_words_default(values: list[str]) -> dict[str, str]:
    """The result each distinct value of a file's result column is read as without setup ("" when unknown)."""
    return {value: RESULT_WORDS.get(word_key(value), "") for value in values}

