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

Callers turn TableError into their own domain's error (code, field)."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .text import text_clean

# csv's own limit (131,072 characters) would stop the reader with an error naming no row: the limit is ours.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class TableError(ValueError):
    """What is wrong with the file, in words for the user."""

    def __init__(self, message: str, *, row: int | None = None):
        self.message = message
        self.row = row
        super().__init__(message)


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
