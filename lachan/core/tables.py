"""Reading the tables people upload (CSV text, Excel .xlsx): the one reader under every tabular import, with its
limits checked before the costly part.

- Cells: at most settings.LACHAN_IMPORT_MAX_CELLS in a file. An .xlsx file's declared dimensions are checked
  before any row is parsed, and the count is kept while reading (a file may declare none, or lie), so a file of
  millions of cells is refused at once instead of holding a request for a minute.
- A cell: at most LACHAN_IMPORT_MAX_CELL_CHARS characters (Excel's own limit is 32,767). A longer CSV cell is
  an error naming its row, not csv's "field larger than field limit (131072)" stopping the reader.
- Unpacked size: an .xlsx is a zip; one whose sheet unpacks to more than LACHAN_IMPORT_MAX_UNPACKED_MB is
  refused before it is opened.
- Text cells pass through core.text.text_clean (control characters removed).

table_read() is the door for an uploaded file: it tells .xlsx from CSV by content, finds the CSV's encoding
(UTF-8, UTF-16, Windows-1258 read as Vietnamese) and delimiter, and refuses old .xls files and web pages.
Callers turn TableError into their own domain's error (code, field; `reason` "encoding" or "file")."""

from __future__ import annotations

import codecs
import csv
import io
import sys
import unicodedata
import zipfile
from dataclasses import KW_ONLY, dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .text import text_clean

# csv's own limit (131,072 characters) would stop the reader with an error naming no row: the limit is ours.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class TableError(ValueError):
    """What is wrong with the file, in words for the user."""

    def __init__(self, message: str, *, row: int | None = None, reason: str = "file"):
        self.message = message
        self.row = row
        self.reason = reason  # "encoding" (no encoding reads it) or "file"
        super().__init__(message)


@dataclass
class RowError:
    """What is wrong on one row of an imported file (row numbers as the spreadsheet shows them)."""

    row: int
    field: str
    message: str
    _: KW_ONLY
    column: str = ""  # the heading in the file
    code: str = ""  # the record the row is about (a sample code), when there is one

    def as_list(self) -> list:
        return [self.row, self.column or self.field, self.code, self.message]


def max_cells() -> int:
    return settings.LACHAN_IMPORT_MAX_CELLS


def max_cell_chars() -> int:
    return settings.LACHAN_IMPORT_MAX_CELL_CHARS


def _too_many_cells() -> TableError:
    return TableError(_("The file has more than %(n)s cells. Split it into smaller files.")
                      % {"n": f"{max_cells():,}".replace(",", ".")})


def _clean(value: Any) -> Any:
    return text_clean(value) if isinstance(value, str) else value


def csv_rows(text: str, *, delimiter: str = ",", max_rows: int | None = None) -> list[list[str]]:
    """The rows of CSV text (cells as text, control characters removed). TableError past the limits."""
    rows: list[list[str]] = []
    cells, cell_limit, char_limit = 0, max_cells(), max_cell_chars()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            cells += len(row)
            if cells > cell_limit:
                raise _too_many_cells()
            if max_rows is not None and len(rows) >= max_rows:
                break  # the caller says how many rows is too many; one more is enough to tell
            for cell in row:
                if len(cell) > char_limit:
                    raise TableError(_("Row %(row)s: a cell holds more than %(n)s characters.")
                                     % {"row": reader.line_num, "n": char_limit}, row=reader.line_num)
            rows.append([text_clean(cell) for cell in row])
    except csv.Error as exc:  # a stray NUL, a broken quote at the end
        raise TableError(_("This file cannot be read as a table: %(error)s.") % {"error": exc},
                         row=reader.line_num) from None
    return rows


def xlsx_rows(data: bytes, *, max_rows: int | None = None) -> list[list[Any]]:
    """The rows of the first sheet of an .xlsx workbook (cells keep their types). TableError when it is not a
    readable workbook or is past the limits."""
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise TableError(_("This is not a readable Excel file.")) from exc
    try:
        sheet = book.worksheets[0]
        try:
            declared = (sheet.max_row or 0) * (sheet.max_column or 0)  # from the sheet's <dimension>, if any
        except Exception:  # noqa: BLE001 — a damaged dimension: counted while reading instead
            declared = 0
        if declared > max_cells():
            raise _too_many_cells()
        rows: list[list[Any]] = []
        cells, cell_limit, char_limit = 0, max_cells(), max_cell_chars()
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
            if cells > cell_limit:
                raise _too_many_cells()
            if max_rows is not None and len(rows) >= max_rows:
                break
            if any(isinstance(v, str) and len(v) > char_limit for v in row):
                raise TableError(_("Row %(row)s: a cell holds more than %(n)s characters.")
                                 % {"row": len(rows) + 1, "n": char_limit}, row=len(rows) + 1)
            rows.append([_clean(v) for v in row])
    except TableError:
        raise
    except Exception as exc:  # a damaged sheet found while reading
        raise TableError(_("This is not a readable Excel file.")) from exc
    finally:
        book.close()
    return rows


def _check_unpacked_size(data: bytes) -> None:
    limit = settings.LACHAN_IMPORT_MAX_UNPACKED_MB * 2**20
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TableError(_("This is not a readable Excel file.")) from exc
    if unpacked > limit:
        raise TableError(_("The workbook unpacks to more than %(mb)s MB. Split it into smaller files.")
                         % {"mb": settings.LACHAN_IMPORT_MAX_UNPACKED_MB})


# ---- an uploaded file, whatever it is --------------------------------------------------------------------------

SNIFF_LINES = 15  # lines looked at to choose the CSV delimiter

_VIETNAMESE = {unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in
               ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")} | {"đ"}
_VIETNAMESE |= {ch.upper() for ch in _VIETNAMESE}
_FAMILIAR = set("–—‘’“”…°·×€ºª«»±µ²³½¼¾§©®™•")  # punctuation Excel users type; not a sign of a wrong encoding


@dataclass
class Table:
    rows: list[list[Any]]
    encoding: str  # what was read: "xlsx", or the CSV's encoding


def _plausible(text: str) -> bool:
    """Whether text decoded as Windows-1258 reads as Vietnamese (or plain ASCII), not as the garbage of another
    encoding (TCVN3, VNI, a Chinese code page): few characters outside Vietnamese letters and common marks."""
    odd = total = 0
    for ch in text:
        if ch.isascii():
            continue
        total += 1
        if ch not in _VIETNAMESE and ch not in _FAMILIAR:
            odd += 1
    return total == 0 or odd <= max(2, total // 20)


def text_decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), else
    Windows-1258 (Vietnamese Excel's "CSV"). TableError(reason="encoding") when none of them reads it."""
    encoding = None
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data[:200].count(b"\x00") >= len(data[:200]) // 4 > 0:  # UTF-16 without its BOM
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    candidates = [encoding] if encoding else ["utf-8", "cp1258"]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        if candidate == "cp1258":
            text = unicodedata.normalize("NFC", text)  # cp1258 writes tones as combining marks
            if not _plausible(text):
                break
        return text, candidate
    raise TableError(_(
        "The file's encoding was not recognised (tried UTF-8, Windows-1258 and UTF-16). In Excel, save it as "
        "“CSV UTF-8” or as an Excel workbook (.xlsx)."), reason="encoding")


def table_read(data: bytes, filename: str, *, max_bytes: int, max_rows: int, header_rows: int = 0) -> Table:
    """The rows of an uploaded .xlsx or CSV file, chosen by content (a zip is a workbook whatever its name); CSV
    cells are text, Excel cells keep their types. `max_rows` counts the rows under the `header_rows` a file may
    have above its data. TableError when the file is empty, too large, an old .xls, a web page, unreadable or
    past the limits."""
    if not data:
        raise TableError(_("The file is empty."))
    if len(data) > max_bytes:
        raise TableError(_("The file is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(_("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV."))
    limit = max_rows + header_rows
    if data.startswith(b"PK\x03\x04"):
        rows, encoding = xlsx_rows(data, max_rows=limit + 1), "xlsx"
    elif (filename or "").lower().endswith((".xlsx", ".xlsm")):
        raise TableError(_("This is not a readable Excel file."))
    else:
        text, encoding = text_decode(data)
        head = text[:200].lstrip().lower()
        if head.startswith(("<html", "<!doctype", "<table", "<?xml")):
            raise TableError(_("This file is a web page, not a table. Open it in Excel and save it as .xlsx or CSV."))
        sample = "\n".join(text.splitlines()[:SNIFF_LINES])
        delimiter = max(("\t", ";", ","), key=sample.count)
        rows = csv_rows(text, delimiter=delimiter, max_rows=limit + 1)
    if len(rows) > limit:
        raise TableError(_("At most %(n)d rows per file.") % {"n": max_rows})
    return Table(rows=rows, encoding=encoding)
