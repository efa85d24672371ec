"""Excel exports: the one writer of every workbook the platform hands out.

- Text that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) stays text:
  written as a string cell marked "quote prefix", as Excel does for text typed after an apostrophe, so it is
  neither run on opening nor turned into a formula when the cell is edited; what was typed is shown unchanged.
- Characters XML 1.0 cannot hold (control characters other than tab and line breaks) are dropped: one stored
  control character no longer fails a whole export.
- The workbook is write-only (rows go to a temporary file as they come, memory stays flat) and streamed."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .text import text_clean

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_text(value: str) -> str:
    """Text without the characters a workbook cannot store (core.text's control characters, a superset)."""
    return text_clean(value)


class XlsxExport:
    """A workbook of one or more sheets: `export.sheet(title, header)` then `.append(row)`, then `.response(name)`."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self._current = None

    def sheet(self, title: str, header: Iterable[Any] | None = None) -> XlsxExport:
        self._current = self.book.create_sheet(export_text(str(title))[:31])  # Excel's limit on sheet names
        if header is not None:
            self.append(header)
        return self

    def append(self, row: Iterable[Any]) -> None:
        self._current.append([self._cell(value) for value in row])

    def extend(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.append(row)

    def _cell(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones: the province's time
        if isinstance(value, Decimal):
            return float(value)
        if value is not None and not isinstance(value, (str, int, float, datetime)) and not hasattr(value, "isoformat"):
            value = str(value)  # lazy translations, enums, UUIDs
        if not isinstance(value, str):
            return value
        text = export_text(value)
        if not text.startswith(FORMULA_STARTS):
            return text
        cell = WriteOnlyCell(self._current, value=text)
        cell.data_type = "s"  # openpyxl would write "=…" as a formula
        cell.quotePrefix = True
        return cell

    def save(self, handle) -> None:
        self.book.save(handle)

    def response(self, filename: str) -> FileResponse:
        handle = tempfile.TemporaryFile()
        self.book.save(handle)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def xlsx_response(*, filename: str, sheet: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> FileResponse:
    """A one-sheet workbook as a download."""
    export = XlsxExport().sheet(sheet, header)
    export.extend(rows)
    return export.response(filename)


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet opening the file reads as text, not as a formula: CSV has no cell types, so
    such text is prefixed with an apostrophe (OWASP's advice), which Excel hides."""
    if not isinstance(value, str):
        return value
    text = export_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (for reports of refused imports, opened in Excel by their readers)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, text: str) -> HttpResponse:
    """A CSV document (csv_text) as a download that Excel opens in UTF-8 (a byte-order mark first). The name may
    hold any character: it is sent the RFC 6266 way, as FileResponse does."""
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
