"""Result files: the layouts and encodings labs send, every bad row reported, all or nothing, the same file
twice changing nothing, layouts mapped once per laboratory."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.tables import text_decode
from lachan.labs.models import ImportStatus, ResultImport, Sample, SampleStatus, Swab, SwabOutcome
from lachan.labs.models import TestType as Kind
from lachan.labs.results import files, imports
from lachan.labs.tests.results_fixtures import *  # noqa: F403
from lachan.labs.tests.results_fixtures import csv_bytes, hours_ago, to_cp1258, xlsx_bytes
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


@dataclass
class Outcome:
    record: ResultImport
    released: object = None

    @property
    def ok(self) -> bool:
        return self.record.status == ImportStatus.APPLIED


def lab_results_import(*, laboratory, data, filename, mapping=None, release=True, by):
    """The laboratory's part of an import (what follows beyond it, cases, is tested with the workflow)."""
    checked = imports.import_check(laboratory=laboratory, data=data, filename=filename, mapping=mapping, by=by)
    if not checked.ok:
        return Outcome(imports.import_refused(checked=checked, by=by))
    with transaction.atomic():
        return Outcome(*imports.import_apply(checked=checked, release=release, by=by))


def run(w, data, filename="ket-qua.csv", **kw):
    return lab_results_import(laboratory=w.lab, data=data, filename=filename, by=kw.pop("by", w.lab_user), **kw)


def samples(w, n=4, *, prefix="S"):
    return [w.make_sample(f"{prefix}-{i}", [w.people[i]], lab=w.lab) for i in range(n)]


def test_default_layout_vietnamese_headings_utf8(lab_world):
    w = lab_world
    samples(w, 3)
    pool = w.make_sample("P-1", w.people[5:10], lab=w.lab)
    data = csv_bytes([["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"],
                      ["S-0", "Âm tính", "", today()],
                      ["s-1", "Dương tính", "22,5", today()],
                      [" S-2 ", "âm tính", "-", today()],
                      ["P-1", "DƯƠNG TÍNH", "31.2", today()],
                      ["", "", "", ""]])
    outcome = run(w, data)
    assert outcome.ok, outcome.record.errors
    record = outcome.record
    assert (record.rows, record.applied, record.positives) == (4, 4, 2)
    assert record.summary["negative"] == 2 and record.summary["positive"] == 1 and record.summary["retest"] == 5
    assert record.summary["notified"] == 8
    assert [p.sample_code for p in outcome.released.positives] == ["S-1"]  # for the workflow: a case
    s1 = Sample.objects.get(code="S-1")
    assert s1.status == SampleStatus.RELEASED and s1.result == "positive" and s1.ct_value == 22.5
    assert s1.result_import == record and s1.released_by == w.lab_user
    assert set(pool.swabs.values_list("outcome", flat=True)) == {SwabOutcome.RETEST}
    assert Sample.objects.get(code="S-2").ct_value is None


@pytest.mark.parametrize("headings, neg, pos", [
    (["Sample ID", "Result", "CT N gene", "Ngày trả kết quả"], "Negative", "Positive"),
    (["Mã ống", "Kết quả", "Ct", "Ngày xét nghiệm"], "NEG", "POS"),
    (["STT", "Mã mẫu", "Họ tên", "Kết quả xét nghiệm", "Ct gen N", "Ct gen E", "Ngày trả KQ"], "Âm tính", "Dương tính"),
])
def test_layouts_labs_send_recognised_without_setup(lab_world, headings, neg, pos):
    w = lab_world
    samples(w, 2)
    index = {h: i for i, h in enumerate(headings)}
    code_at = next(i for h, i in index.items() if h in ("Sample ID", "Mã ống", "Mã mẫu"))
    result_at = next(i for h, i in index.items() if h.startswith(("Result", "Kết quả")))
    rows = [["KẾT QUẢ XÉT NGHIỆM SARS-CoV-2"], ["Phòng xét nghiệm CDC Tiền Giang"], headings]
    for code, word in (("S-0", neg), ("S-1", pos)):
        row = [""] * len(headings)
        row[code_at], row[result_at] = code, word
        row[-1] = today()
        rows.append(row)
    outcome = run(w, csv_bytes(rows))
    assert outcome.ok, outcome.record.errors
    assert dict(Sample.objects.filter(code__in=["S-0", "S-1"]).values_list("code", "result")) == {
        "S-0": "negative", "S-1": "positive"}


def test_windows_1258_semicolons_and_utf16_tabs(lab_world):
    w = lab_world
    samples(w, 4)
    rows = [["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"], ["S-0", "Âm tính", "", today()],
            ["S-1", "Dương tính", "25,3", today()]]
    data = csv_bytes(rows, encoding="cp1258", delimiter=";")
    assert b"\xcc" in data or b"\xec" in data or b"\xf2" in data  # tones as combining marks, as Windows writes them
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    outcome = run(w, data)
    assert outcome.ok, outcome.record.errors
    assert Sample.objects.get(code="S-1").ct_value == 25.3
    rows = [["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"], ["S-2", "Âm tính", "", today()],
            ["S-3", "Dương tính", "19", today()]]
    data = "\ufeff".encode("utf-16-le") + csv_bytes(rows, encoding="utf-16-le", delimiter="\t")
    outcome = run(w, data, "ket-qua.txt")
    assert outcome.ok, outcome.record.errors
    assert Sample.objects.get(code="S-3").result == "positive"
    text, encoding = text_decode(csv_bytes(rows, encoding="utf-16-le", delimiter="\t"))  # no BOM
    assert encoding == "utf-16-le" and "Kết quả" in text


def test_wrong_encoding_is_a_clear_error(lab_world):
    w = lab_world
    samples(w, 1)
    chinese = "样本编号,结果,日期\nS-0,阴性,01/12/2021\n样本编号,结果,日期\n".encode("gbk")
    with pytest.raises(DomainError) as err:
        run(w, chinese)
    assert err.value.code == "labs_import_encoding" and "CSV UTF-8" in str(err.value.message)
    # TCVN3 ("ABC"), the old Vietnamese code page, read as Windows-1258 is garbage: refused too.
    tcvn3 = bytes([0x4D, 0xB8, 0x20, 0x6D, 0xA9, 0x75, 0x3B, 0x4B, 0xD5, 0x74, 0x20, 0x71, 0x75, 0xB6, 0x0A]) * 3
    with pytest.raises(DomainError) as err:
        run(w, tcvn3)
    assert err.value.code == "labs_import_encoding"
    assert not ResultImport.objects.exists()


def test_files_that_are_not_tables(lab_world):
    w = lab_world
    for data, name, code in [
        (b"", "a.csv", "labs_import_file_invalid"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ket-qua.xls", "labs_import_file_invalid"),
        (b"<html><table><tr><td>Ma mau</td></tr></table></html>", "ket-qua.xls", "labs_import_file_invalid"),
        (b"PK\x03\x04 broken zip", "ket-qua.xlsx", "labs_import_file_invalid"),
        (b"not a zip", "ket-qua.xlsx", "labs_import_file_invalid"),
    ]:
        with pytest.raises(DomainError) as err:
            run(w, data, name)
        assert err.value.code == code, name


def test_a_cell_too_big_for_a_table(lab_world):
    data = "Mã mẫu,Kết quả\nS-0,".encode() + b'"' + b"x" * 200_000 + b'"\n'
    with pytest.raises(DomainError) as err:
        run(lab_world, data)
    assert err.value.code == "labs_import_file_invalid"


def test_wrong_columns_named(lab_world):
    w = lab_world
    data = csv_bytes([["Họ tên", "Năm sinh", "Địa chỉ"], ["Nguyễn Văn An", "1980", "Mỹ Tho"]])
    with pytest.raises(DomainError) as err:
        run(w, data)
    assert err.value.code == "labs_import_columns"
    assert "Họ tên, Năm sinh, Địa chỉ" in str(err.value.message)


def test_every_bad_row_listed_and_nothing_imported(lab_world):
    w = lab_world
    good = samples(w, 2)
    w.make_sample("THEIRS", [w.people[3]], lab=w.other_lab)
    w.make_sample("EMPTY", [], lab=w.lab)
    w.make_sample("REJ", [w.people[4]], lab=w.lab, status=SampleStatus.REJECTED)
    w.make_sample("RAPID", [w.people[5]], lab=w.lab, test_type=Kind.RAPID_ANTIGEN)
    w.make_sample("LATE", [w.people[6]], lab=w.lab, collected_at=timezone.now())  # today, whatever the hour
    later = (timezone.localdate() + timedelta(days=2)).strftime("%d/%m/%Y")  # still ahead if midnight passes
    yesterday = (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y")
    rows = [["Mã mẫu", "Kết quả", "Ct", "Ngày xét nghiệm"],
            ["S-0", "Âm tính", "", today()],  # 2: fine
            ["NOPE-1", "Âm tính", "", today()],  # 3: unknown code
            ["THEIRS", "Âm tính", "", today()],  # 4: another laboratory's sample
            ["S-0", "Âm tính", "", today()],  # 5: twice in the file
            ["EMPTY", "Âm tính", "", today()],  # 6: never collected
            ["REJ", "Âm tính", "", today()],  # 7: rejected
            ["S-1", "Dương tính", "51", today()],  # 8: Ct out of range
            ["RAPID", "Dương tính", "20", today()],  # 9: Ct on a rapid test
            ["LATE", "Âm tính", "", later],  # 10: in the future
            ["LATE", "Âm tính", "", yesterday],  # 11: twice, and before collection
            ["", "Âm tính", "", today()],  # 12: no code
            ["S-1", "Có thể", "", today()],  # 13: unknown result (and twice)
            ["X-9", "Âm tính", "abc", "31/02/2021"]]  # 14: Ct not a number, not a date
    outcome = run(w, csv_bytes(rows))
    assert not outcome.ok
    record = outcome.record
    assert record.status == ImportStatus.FAILED and record.applied == 0
    by_row: dict[int, list[str]] = {}
    for row, _column, _code, message in record.errors:
        by_row.setdefault(row, []).append(message)
    assert set(by_row) == set(range(3, 15))
    assert "Unknown sample code NOPE-1." in by_row[3]
    assert "This sample was sent to another laboratory." in by_row[4]
    assert "This code is also on row 2." in by_row[5]
    assert any("never collected" in m for m in by_row[6])
    assert any("rejected" in m for m in by_row[7])
    assert "The Ct value must be between 0 and 45." in by_row[8]
    assert "A rapid antigen test has no Ct value." in by_row[9]
    assert "The test date is in the future." in by_row[10]
    assert any("also on row 10" in m for m in by_row[11])
    assert "The sample code is missing." in by_row[12]
    assert any("Unknown result “Có thể”" in m for m in by_row[13])
    assert any("“abc” is not a number" in m for m in by_row[14]) and any("31/02/2021" in m for m in by_row[14])
    columns = {row: column for row, column, _code, _m in record.errors}
    assert columns[8] == "Ct" and columns[3] == "Mã mẫu"
    # Nothing changed: no result, no outcome, no message.
    assert not Sample.objects.filter(status=SampleStatus.RELEASED).exists()
    assert all(s.result == "" for s in Sample.objects.all())
    assert not Swab.objects.exclude(outcome=SwabOutcome.PENDING).exists()
    assert not Message.objects.exists()
    assert good[0].swabs.get().notified_at is None
    report = imports.errors_csv(record.errors)
    assert report.splitlines()[0] == "Row,Column,Sample code,Error"
    assert "3,Mã mẫu,NOPE-1,Unknown sample code NOPE-1." in report


def test_before_collection_is_refused(lab_world):
    w = lab_world
    w.make_sample("LATE", [w.people[6]], lab=w.lab, collected_at=timezone.now())  # today, whatever the hour
    yesterday = (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y")
    outcome = run(w, csv_bytes([["Mã mẫu", "Kết quả", "Ngày xét nghiệm"], ["LATE", "Âm tính", yesterday]]))
    assert not outcome.ok and "before the sample was collected" in outcome.record.errors[0][3]


def test_same_file_twice_changes_nothing(lab_world):
    w = lab_world
    samples(w, 2)
    data = csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"], ["S-1", "Âm tính"]])
    first = run(w, data)
    assert first.ok
    messages = Message.objects.count()
    with pytest.raises(imports.AlreadyImported) as err:
        run(w, data, "ket-qua (1).csv", by=w.staff.province)
    assert err.value.status == 409 and err.value.params["import_id"] == str(first.record.pk)
    assert "already imported on" in str(err.value.message) and "by labtech" in str(err.value.message)
    assert ResultImport.objects.count() == 1 and Message.objects.count() == messages
    # Another laboratory may send a file with the same bytes: it is checked on its own (and refused here).
    other = lab_results_import(laboratory=w.other_lab, data=data, filename="x.csv", by=w.other_lab_user)
    assert not other.ok


def test_refused_file_may_be_fixed_and_imported(lab_world):
    w = lab_world
    samples(w, 2)
    bad = csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"], ["S-1", "?"]])
    assert not run(w, bad).ok
    assert not run(w, bad).ok  # a refused file is not "already imported"
    fixed = csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"], ["S-1", "Âm tính"]])
    assert run(w, fixed).ok
    assert ResultImport.objects.filter(status=ImportStatus.FAILED).count() == 2


def test_a_later_file_repeating_a_released_result(lab_world):
    w = lab_world
    samples(w, 2)
    assert run(w, csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"]])).ok
    again = run(w, csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Negative"], ["S-1", "Âm tính"]]))
    assert again.ok and again.record.applied == 1 and again.record.summary["unchanged"] == 1
    assert Message.objects.filter(person_id=w.people[0].pk).count() == 1  # not told twice
    changed = run(w, csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Dương tính"]]))
    assert not changed.ok and "already released" in changed.record.errors[0][3]


def test_excel_workbook_with_typed_cells(lab_world):
    w = lab_world
    w.make_sample("210001", [w.people[0]], lab=w.lab)
    w.make_sample("S-1", [w.people[1]], lab=w.lab)
    now = timezone.localtime()
    rows = [["Mã mẫu", "Kết quả", "Giá trị Ct", "Ngày xét nghiệm"],
            [210001, "Âm tính", None, datetime(now.year, now.month, now.day)],
            ["S-1", "Dương tính", 24.75, (now - timedelta(minutes=30)).replace(tzinfo=None)]]
    outcome = run(w, xlsx_bytes(rows), "ket-qua.xlsx")
    assert outcome.ok, outcome.record.errors
    s1 = Sample.objects.get(code="S-1")
    assert s1.ct_value == 24.75 and abs((s1.tested_at - (now - timedelta(minutes=30))).total_seconds()) < 1
    assert Sample.objects.get(code="210001").result == "negative"
    # A date cell formatted as a number holds Excel's day count.
    w.make_sample("S-2", [w.people[2]], lab=w.lab, collected_at=hours_ago(24 * 3))
    serial = (timezone.localdate() - timedelta(days=1) - date(1899, 12, 30)).days
    outcome = run(w, xlsx_bytes([["Mã mẫu", "Kết quả", "Ngày xét nghiệm"], ["S-2", "Âm tính", serial]]), "so.xlsx")
    assert outcome.ok, outcome.record.errors
    assert timezone.localtime(Sample.objects.get(code="S-2").tested_at).date() == timezone.localdate() - timedelta(days=1)
    bad = xlsx_bytes([["Mã mẫu", "Kết quả", "Giá trị Ct"], ["S-9", "Âm tính", "x"]])
    refused = run(w, bad, "loi.xlsx")
    assert not refused.ok and {e[2] for e in refused.record.errors} == {"S-9"}


def test_imported_as_tested_then_released(lab_world):
    w = lab_world
    samples(w, 2)
    outcome = run(w, csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"], ["S-1", "Dương tính"]]), release=False)
    assert outcome.ok and not outcome.record.released
    assert set(Sample.objects.values_list("status", flat=True)) == {SampleStatus.TESTED}
    assert not Message.objects.exists() and not Swab.objects.exclude(outcome=SwabOutcome.PENDING).exists()
    released = imports.import_release(result_import=outcome.record, by=w.lab_user)
    assert [p.sample_code for p in released.positives] == ["S-1"]
    outcome.record.refresh_from_db()
    assert outcome.record.released and outcome.record.summary["negative"] == 1
    assert set(Sample.objects.values_list("status", flat=True)) == {SampleStatus.RELEASED}
    with pytest.raises(DomainError):
        imports.import_release(result_import=outcome.record, by=w.lab_user)


# ---- layouts mapped once per laboratory --------------------------------------------------------------------

LAB_FILE = [["BỆNH VIỆN ĐA KHOA", "", "", ""], ["Kết quả ngày", "", "", ""],
            ["Số hiệu ống", "KQ cuối", "Ct gen E", "Thời điểm"]]


def test_mapping_from_a_sample_file_then_import(lab_world):
    w = lab_world
    samples(w, 2)
    example = csv_bytes([*LAB_FILE, ["S-0", "Không phát hiện SARS-CoV-2", "", "12/01/2021"]])
    header_row, headings, rows = files.headings_of(example, "mau.csv", header_row=3)
    assert header_row == 3 and headings == ["Số hiệu ống", "KQ cuối", "Ct gen E", "Thời điểm"]
    assert rows[0][0] == "S-0"
    assert files.result_words_default(["Âm tính", "Dương tính SARS-CoV-2"]) == {
        "Âm tính": "negative", "Dương tính SARS-CoV-2": ""}
    mapping = files.mapping_save(
        laboratory=w.lab, name="BV Đa khoa", header_row=3, date_format="%m/%d/%Y",
        columns={"code": "Số hiệu ống", "result": "KQ cuối", "ct": "Ct gen E", "tested_at": "Thời điểm"},
        result_words={"Dương tính SARS-CoV-2": "positive", "Không phát hiện SARS-CoV-2": "negative", "Khác": ""},
        by=w.lab_user)
    assert mapping.result_words == {"duong tinh sars cov 2": "positive", "khong phat hien sars cov 2": "negative"}
    day = timezone.localdate()
    us_date = day.strftime("%m/%d/%Y")
    data = csv_bytes([*LAB_FILE, ["S-0", "Không phát hiện SARS-CoV-2", "", us_date],
                      ["S-1", "Dương tính SARS-CoV-2", "27.1", us_date]])
    outcome = run(w, data, mapping=mapping)
    assert outcome.ok, outcome.record.errors
    assert outcome.record.mapping == mapping
    assert Sample.objects.get(code="S-1").ct_value == 27.1
    assert timezone.localtime(Sample.objects.get(code="S-0").tested_at).date() == day
    # Without the mapping the file's headings are not recognised.
    with pytest.raises(DomainError) as err:
        run(w, csv_bytes([*LAB_FILE, ["S-0", "x", "", us_date]]))
    assert err.value.code == "labs_import_columns"
    # The mapping against a file of another layout names what is missing.
    with pytest.raises(DomainError) as err:
        run(w, csv_bytes([["Mã mẫu", "Kết quả"], ["S-0", "Âm tính"], ["", ""], ["S-1", "Âm tính"]]), mapping=mapping)
    assert err.value.code == "labs_import_columns" and "Số hiệu ống" in str(err.value.message)


def test_mapping_of_another_laboratory_and_bad_mappings(lab_world):
    w = lab_world
    theirs = files.mapping_save(laboratory=w.other_lab, name="Mẫu", columns={"code": "Mã", "result": "KQ"},
                                result_words={}, by=w.other_lab_user)
    with pytest.raises(NotFound):
        run(w, csv_bytes([["Mã", "KQ"], ["S-0", "Âm tính"]]), mapping=theirs)
    for kwargs, field in [
        ({"name": "", "columns": {"code": "A", "result": "B"}}, "name"),
        ({"name": "Mẫu", "columns": {"code": "A", "result": "B"}, "laboratory": w.other_lab}, "name"),
        ({"name": "X", "columns": {"code": "A"}}, "result"),
        ({"name": "X", "columns": {"code": "A", "result": "a"}}, "columns"),
        ({"name": "X", "columns": {"code": "A", "result": "B", "colour": "C"}}, "colour"),
        ({"name": "X", "columns": {"code": "A", "result": "B"}, "result_words": {"pos": "maybe"}}, "result_words"),
        ({"name": "X", "columns": {"code": "A", "result": "B"}, "date_format": "%Y"}, "date_format"),
        ({"name": "X", "columns": {"code": "A", "result": "B"}, "header_row": 0}, "header_row"),
    ]:
        args = {"laboratory": w.lab, "result_words": {}, **kwargs}
        with pytest.raises(ValidationFailed) as err:
            files.mapping_save(by=w.lab_user if args["laboratory"] == w.lab else w.other_lab_user, **args)
        assert field in {e.field for e in err.value.errors}, kwargs


def test_decode_text_candidates():
    assert text_decode("Mã mẫu".encode())[1] == "utf-8"
    assert text_decode(b"\xef\xbb\xbfSample ID")[1] == "utf-8-sig"
    text, encoding = text_decode(to_cp1258("Mã mẫu;Kết quả;Dương tính"))
    assert encoding == "cp1258" and text == "Mã mẫu;Kết quả;Dương tính"
    assert text_decode("Sample ID,Result".encode("utf-16"))[0] == "Sample ID,Result"


def test_import_laboratory_for_each_kind_of_user(lab_world):
    w = lab_world
    assert imports.import_laboratory(laboratory_id="", by=w.lab_user) == w.lab
    with pytest.raises(NotFound):
        imports.import_laboratory(laboratory_id=w.other_lab.pk, by=w.lab_user)
    assert imports.import_laboratory(laboratory_id=w.other_lab.pk, by=w.staff.province) == w.other_lab
    with pytest.raises(NotFound):
        imports.import_laboratory(laboratory_id="", by=w.staff.province)
    with pytest.raises(NotFound):
        imports.import_laboratory(laboratory_id="not-a-uuid", by=w.staff.province)
