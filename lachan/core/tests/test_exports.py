"""The one Excel writer: text never becomes a formula, a stored control character never fails an export, and no
export builds its workbook by itself."""

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from lachan.core.exports import XlsxExport, csv_response, csv_text

RISKY = ["=HYPERLINK(\"http://x.example\",\"bấm\")", "+84 912", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _read(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_text_that_looks_like_a_formula_stays_text(settings):
    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"
    export = XlsxExport().sheet("Danh sách", ["Tên", "Khi"])
    for text in RISKY:
        export.append([text, datetime(2021, 8, 1, 1, 30, tzinfo=UTC)])
    export.append(["Nguyễn\x01 Văn\x0b An\x1f\x7f", date(2021, 8, 1)])
    sheet = _read(export.response("x.xlsx")).active
    rows = list(sheet.iter_rows(min_row=2))
    for text, (cell, when) in zip(RISKY, rows, strict=False):
        assert cell.data_type == "s" and cell.value == text.replace("\r", "\n") and cell.quotePrefix
        # shown as typed (XML reads \r as \n), never run
        assert when.value == datetime(2021, 8, 1, 8, 30)  # the province's time
    assert rows[-1][0].value == "Nguyễn Văn An"  # one control character no longer fails the whole file
    assert rows[-1][0].data_type == "s" and not rows[-1][0].quotePrefix


def test_csv_reports_guard_formulas_and_control_characters():
    text = csv_text(["row", "error"], [[1, "=cmd|' /C calc'!A0"], [2, "a\x02b"], [3, -5]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["1", "'=cmd|' /C calc'!A0"] and rows[2] == ["2", "ab"] and rows[3] == ["3", "-5"]


def test_every_workbook_is_written_by_the_export_helper():
    """A new export that builds its own openpyxl Workbook would bypass the guard above."""
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "tests" not in p.parts and p.name != "exports.py"
                 and re.search(r"\bWorkbook\(|csv\.writer\(", p.read_text())
                 and "simulate" not in p.parts]
    assert offenders == []


def test_csv_response_is_a_utf8_download_excel_reads():
    response = csv_response("ket-qua-errors.csv", csv_text(["Dòng", "Lỗi"], [[2, "=1+1"]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ket-qua-errors.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff") and list(csv.reader(io.StringIO(body[1:]))) == [["Dòng", "Lỗi"], ["2", "'=1+1"]]


def test_csv_response_names_any_file_safely():
    response = csv_response('Kết quả "lô 3".csv', "a\n")
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename*=utf-8''") and '"' not in header.split("''", 1)[1]
