"""The shared tabular reader: limits checked before the costly part, huge cells as an error naming the row."""

import io
import time

import pytest
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from lachan.core.tables import TableError, csv_rows, xlsx_rows


def _xlsx(rows: int, cols: int, *, write_only: bool = False) -> bytes:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    for r in range(rows):
        sheet.append([f"r{r}c{c}" for c in range(cols)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_cell_over_csvs_own_limit_is_an_error_naming_its_row():
    text = "code,name\n1,An\n2," + "x" * 200_000 + "\n"  # csv's field limit is 131,072
    with pytest.raises(TableError) as caught:
        csv_rows(text)
    assert caught.value.row == 3 and "more than 32767 characters" in caught.value.message


def test_cells_are_counted_in_csv(settings):
    settings.LACHAN_IMPORT_MAX_CELLS = 100
    assert len(csv_rows("a,b\n" * 50)) == 50
    with pytest.raises(TableError, match="more than 100 cells"):
        csv_rows("a,b\n" * 51)


def test_a_workbook_too_large_is_refused_from_its_dimensions_before_any_row_is_read(settings, monkeypatch):
    settings.LACHAN_IMPORT_MAX_CELLS = 1_000
    data = _xlsx(100, 20)  # declares A1:T100
    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", lambda *a, **k: pytest.fail("rows were parsed"))
    with pytest.raises(TableError, match="more than 1.000 cells"):
        xlsx_rows(data)


def test_a_workbook_without_dimensions_stops_at_the_limit(settings):
    settings.LACHAN_IMPORT_MAX_CELLS = 1_000
    data = _xlsx(2_000, 10, write_only=True)
    started = time.monotonic()
    with pytest.raises(TableError, match="cells"):
        xlsx_rows(data)
    assert time.monotonic() - started < 2  # stopped after ~100 rows, not after reading 2,000
    settings.LACHAN_IMPORT_MAX_CELLS = 20_000
    assert len(xlsx_rows(data)) == 2_000


def test_a_workbook_that_unpacks_too_large_is_refused_before_opening(settings):
    settings.LACHAN_IMPORT_MAX_UNPACKED_MB = 0
    with pytest.raises(TableError, match="unpacks"):
        xlsx_rows(_xlsx(5, 5))
    with pytest.raises(TableError, match="not a readable Excel"):
        xlsx_rows(b"PK\x03\x04 broken")


def test_control_characters_are_cleaned_from_cells():
    assert csv_rows("An\x01,B\x1bình\n") == [["An", "Bình"]]
    book = Workbook()
    book.active.append(["Lê\x7f Châu", 3])
    out = io.BytesIO()
    book.save(out)
    assert xlsx_rows(out.getvalue()) == [["Lê Châu", 3]]


# ---- table_read: an uploaded file, whatever it is -------------------------------------------------------------

from lachan.core.tables import RowError, table_read  # noqa: E402

MB = 2**20


def _read(data: bytes, filename: str = "f.csv", **limits):
    return table_read(data, filename, **{"max_bytes": 50 * MB, "max_rows": 100, **limits})


@pytest.mark.parametrize(("data", "encoding"), [
    ("mã,họ tên\nA1,Nguyễn Văn Ân\n".encode(), "utf-8"),
    ("\ufeffmã,họ tên\nA1,Nguyễn Văn Ân\n".encode(), "utf-8-sig"),
    ("mã\thọ tên\nA1\tNguyễn Văn Ân\n".encode("utf-16"), "utf-16"),
    # Vietnamese Windows: precomposed base letters, tones as combining marks
    ("ma\u0303;ho\u0323 tên\nA1;Nguyê\u0303n Văn Ân\n".encode("cp1258"), "cp1258"),
])
def test_csv_encodings_and_delimiters(data, encoding):
    table = _read(data)
    assert table.encoding == encoding
    assert table.rows == [["mã", "họ tên"], ["A1", "Nguyễn Văn Ân"]]


def test_a_workbook_is_read_by_content_whatever_its_name():
    table = _read(_xlsx(3, 2), "results.csv")
    assert table.encoding == "xlsx" and table.rows[0] == ["r0c0", "r0c1"]


@pytest.mark.parametrize(("data", "filename", "message", "reason"), [
    (b"", "f.csv", "The file is empty.", "file"),
    (b"\xd0\xcf\x11\xe0rest", "f.xls", r"old Excel file \(\.xls\)", "file"),
    (b"a,b\n", "f.xlsx", "not a readable Excel file", "file"),
    (b"<!DOCTYPE html><html><table>", "f.csv", "a web page", "file"),
    ("tên\n".encode("gb18030") + "中文名字，身份证号码".encode("gb18030"), "f.csv", "encoding", "encoding"),
])
def test_what_is_not_a_table_is_refused(data, filename, message, reason):
    with pytest.raises(TableError, match=message) as refused:
        _read(data, filename)
    assert refused.value.reason == reason


def test_size_and_row_limits():
    with pytest.raises(TableError, match="larger than 1 MB"):
        _read(b"a\n" * MB, max_bytes=MB)
    assert len(_read(b"title\n\na\n" + b"1\n" * 100, header_rows=3).rows) == 103
    with pytest.raises(TableError, match="At most 100 rows per file"):
        _read(b"a\n" + b"1\n" * 101)


def test_row_error_lists_its_column_or_field():
    assert RowError(3, "result", "Unknown result.", column="Kết quả", code="A1").as_list() == [
        3, "Kết quả", "A1", "Unknown result."]
    assert RowError(2, "ct", "Not a number.").as_list() == [2, "ct", "", "Not a number."]
