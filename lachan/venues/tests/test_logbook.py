"""Paper logbook import: what the per-value caches and the bulk path must not change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from lachan.people.models import Person
from lachan.venues.logbooks import imports as logbook
from lachan.venues.logbooks import rows
from lachan.venues.models import CheckIn

pytestmark = pytest.mark.django_db

HEADER = "Họ tên,Số điện thoại,Năm sinh,Xã,Giờ vào,Giờ ra\n"


def _csv(rows, header=HEADER):
    return (header + "\n".join(",".join(r) for r in rows)).encode()


def _t(minutes_ago):
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M")


def _import(venue, owner, rows, header=HEADER):
    return logbook.logbook_import(venue=venue, data=_csv(rows, header), filename="log.csv", by=owner)


def _accept_all(result, reviewer):
    """The station adds every person the logbook held as a new person."""
    from lachan.venues.logbooks import review as logbook_review

    for visitor_id in result.logbook.visitors.filter(status="pending").values_list("pk", flat=True):
        logbook_review.visitor_accept(visitor_id=visitor_id, by=reviewer)


def test_same_name_different_phones_are_different_people(venue, person, units, owner, staff):
    code = units.commune.code
    result = _import(venue, owner, [
        ["Nguyễn Văn An", "0912345678", "1980", code, _t(300), ""],  # the existing person
        ["Nguyễn Văn An", "0987000111", "1990", code, _t(300), ""],  # same name, another phone: new
        ["nguyễn văn an", "0987000222", "1991", code, _t(300), ""],  # and another
        ["NGUYEN VAN AN", "091 234 5678", "1980", code, _t(200), ""],  # the existing person, typed otherwise
    ])
    assert result.ok, result.errors
    assert result.created == 2 and result.people_held == 2 and Person.objects.count() == 1
    _accept_all(result, staff.commune)
    new = Person.objects.exclude(pk=person.pk)
    assert sorted(new.values_list("phone", "birth_year", "full_name")) == [
        ("0987000111", 1990, "Nguyễn Văn An"), ("0987000222", 1991, "Nguyễn Văn An")]
    assert CheckIn.objects.filter(person=person).count() == 2
    for other in new:
        assert CheckIn.objects.filter(person=other).count() == 1


def test_same_phone_different_names_are_different_people(venue, person, units, owner, staff):
    code = units.commune.code
    result = _import(venue, owner, [
        ["Nguyễn Văn An", "0912345678", "1980", code, _t(300), ""],
        ["Nguyễn Thị Bình", "0912345678", "1982", code, _t(300), ""],  # a family phone
        ["Nguyễn Thị Bình", "0912345678", "1982", code, _t(100), ""],
    ])
    assert result.ok and result.created == 1 and result.people_held == 1
    _accept_all(result, staff.commune)
    binh = Person.objects.get(search_name="nguyen thi binh")
    assert binh.phone == "0912345678" and binh.birth_year == 1982 and binh.search_name_rev == "binh thi nguyen"
    assert CheckIn.objects.filter(person=binh).count() == 2 and CheckIn.objects.filter(person=person).count() == 1


def test_repeated_bad_values_reported_on_every_row(venue, units, owner):
    code = units.commune.code
    rows = [
        ["Lê Văn Tư", "0909000111", "1970", code, _t(60), ""],  # row 2: fine
        ["Lê Văn Tư", "12345", "1970", code, _t(60), ""],  # row 3
        ["", "", "", "", "", ""],  # row 4: blank, skipped but counted in the numbering
        ["Lê Văn Tư", "12345", "1970", "Nowhere", _t(60), ""],  # row 5: the same bad phone again
        ["Lê Văn Tư", "0909000111", "inf", code, "soon", ""],  # row 6
        ["Lê Văn Tư", "0909000111", "1970", code, "soon", ""],  # row 7: the same bad time again
        ["Lê Văn Tư", "0909000111", "1970", code, _t(-120), ""],  # row 8: future
    ]
    result = _import(venue, owner, rows)
    assert not result.ok and result.created == 0 and result.rows == 6
    assert [(e.row, e.field) for e in result.errors] == [
        (3, "phone"), (5, "phone"), (5, "commune"), (6, "birth_year"), (6, "checked_in_at"), (7, "checked_in_at"),
        (8, "checked_in_at")]
    assert "12345" in result.errors[0].message and "Nowhere" in result.errors[2].message
    assert result.errors[4].message == result.errors[5].message
    assert not CheckIn.objects.exists() and not Person.objects.exists()


def test_short_rows_and_column_order(venue, person, units, owner):
    header = "Giờ vào,Xã,Họ tên,Số điện thoại,Năm sinh,Giờ ra,Mã địa điểm\n"
    result = _import(venue, owner, [
        [_t(100), units.commune.code, "Nguyễn Văn An", "0912345678", "1980"],  # no check-out, no venue cell
        [_t(50), units.commune.code, "Nguyễn Văn An", "0912345678", "1980", _t(20), venue.code],
    ], header=header)
    assert result.ok, result.errors
    assert result.created == 2 and result.people_created == 0
    assert sorted(CheckIn.objects.values_list("checkout_assumed", flat=True)) == [False, True]
    result = _import(venue, owner, [[_t(10), units.commune.code, "Nguyễn Văn An", "0912345678", "1980", "", "XYZ"]],
                     header=header)
    assert [(e.row, e.field) for e in result.errors] == [(2, "venue")]


def test_identical_checkins_written_once(venue, person, units, owner, staff):
    code = units.commune.code
    at = _t(120)
    rows = [
        ["Nguyễn Văn An", "0912345678", "1980", code, at, ""],
        ["Nguyễn Văn An", "0912345678", "1980", code, at, ""],  # the same line typed twice
        ["Trần Thị Lan", "0987111222", "1995", code, at, ""],  # another person, same time
        ["Trần Thị Lan", "0987111222", "1995", code, at, ""],
        ["Nguyễn Văn An", "0912345678", "1980", code, _t(60), ""],  # the same person later: a visit
    ]
    result = _import(venue, owner, rows)
    assert result.ok and result.created == 2 and result.duplicates == 2 and result.people_held == 1
    _accept_all(result, staff.commune)
    assert CheckIn.objects.count() == 3
    # The same logbook imported again: nothing new.
    again = _import(venue, owner, rows)
    assert again.ok and again.created == 0 and again.duplicates == 5 and again.people_held == 0
    assert CheckIn.objects.count() == 3 and Person.objects.count() == 2
    # A check-in recorded at the door at the same minute is the same visit too; a minute later is not.
    at = timezone.localtime(timezone.now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    CheckIn.objects.create(venue=venue, person=person, checked_in_at=at, checked_out_at=at + timedelta(hours=1),
                           source="qr")
    rows = [["Nguyễn Văn An", "0912345678", "1980", code, (at + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M"), ""]
            for m in (0, 1)]
    result = _import(venue, owner, rows)
    assert result.ok and result.created == 1 and result.duplicates == 1
    assert CheckIn.objects.filter(person=person, checked_in_at=at + timedelta(minutes=1), source="logbook").exists()


def test_many_rows_match_in_batches(venue, units, owner, monkeypatch):
    monkeypatch.setattr(logbook, "BATCH", 7)  # several phone batches, and several write batches
    code = units.commune.code
    people = [Person.objects.create(full_name=f"Người {i}", search_name=f"nguoi {i}", search_name_rev=f"{i} nguoi",
                                    birth_year=1980, phone=f"09120000{i:02d}", commune=units.commune)
              for i in range(20)]
    rows = [[f"Người {i % 30}", f"09120000{i % 30:02d}", "1980", code, _t(100 + i), ""] for i in range(60)]
    result = _import(venue, owner, rows)
    assert result.ok, result.errors[:3]
    assert result.created == 40 and result.people_held == 10
    assert CheckIn.objects.filter(person__in=people).count() == 40 and CheckIn.objects.count() == 40


def test_page_says_how_many_repeats_were_skipped(client, owner, venue, person, units):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner)
    row = ["Nguyễn Văn An", "0912345678", "1980", units.commune.code, _t(60), ""]
    response = client.post(f"/venues/{venue.pk}/", {"file": SimpleUploadedFile("log.csv", _csv([row, row]))},
                           follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "1 check-ins imported" in text and "1 row repeats a check-in" in text
    assert CheckIn.objects.count() == 1


def test_excel_cells_equal_in_python_are_not_confused(venue, units, owner):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Full name", "Phone", "Year of birth", "Commune", "Check-in"])
    at = timezone.localtime().replace(tzinfo=None) - timedelta(hours=1)
    sheet.append(["Phạm Văn Bảy", True, 1960, units.commune.code, at])  # True == 1 in Python
    sheet.append(["Phạm Văn Bảy", 1, 1960, units.commune.code, at])
    sheet.append(["Phạm Văn Bảy", 911222333, 1960, units.commune.code, at])  # a number: the zero restored
    out = io.BytesIO()
    book.save(out)
    result = logbook.logbook_import(venue=venue, data=out.getvalue(), filename="log.xlsx", by=owner)
    assert [(e.row, e.field) for e in result.errors] == [(2, "phone"), (3, "phone")]
    assert result.errors[0].message.startswith("True") and result.errors[1].message.startswith("1 ")


def test_oldest_active_record_is_matched(venue, units, owner):
    from lachan.core.ids import uuid7

    # Undetected duplicates (same phone and name); uuid7 orders by time only to the millisecond, so ids are
    # given in order here.
    oldest, middle, newest = (
        Person.objects.create(id=pk, full_name="Nguyễn Văn An", search_name="nguyen van an",
                              search_name_rev="an van nguyen", birth_year=1980, phone="0912345678",
                              commune=units.commune)
        for pk in sorted(uuid7() for _ in range(3)))
    row = ["Nguyễn Văn An", "0912345678", "1980", units.commune.code, _t(60), ""]
    result = _import(venue, owner, [row])
    assert result.ok and result.people_held == 0
    assert CheckIn.objects.get().person_id == oldest.pk
    # With the oldest merged away, the next oldest active record is the one.
    Person.objects.filter(pk=oldest.pk).update(merged_into=newest)
    row[4] = _t(30)
    result = _import(venue, owner, [row])
    assert result.ok and CheckIn.objects.latest("id").person_id == middle.pk


def test_time_formats_exclude_each_other():
    """_parse_time tries the format that last worked first: right only if no text fits two formats."""
    import random
    from datetime import datetime

    rng = random.Random(5)
    texts = ["".join(rng.choice("0123456789-/: T") for _ in range(rng.randint(10, 19))) for _ in range(3000)]
    for _ in range(300):
        at = datetime(rng.randint(1000, 2999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                      rng.randint(0, 59), rng.randint(0, 59))
        for fmt in rows._TIME_FORMATS:
            text = at.strftime(fmt)
            texts += [text, text.replace(" 0", " "), text.replace("/0", "/").replace("-0", "-"), text.replace(" ", "  ")]
    for text in texts:
        fits = []
        for fmt in rows._TIME_FORMATS:
            try:
                datetime.strptime(text, fmt)
            except ValueError:
                continue
            fits.append(fmt)
        assert len(fits) <= 1, (text, fits)


def test_day_first_times_and_mixed_formats(venue, person, units, owner):
    code = units.commune.code
    at = timezone.localtime(timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    rows = [["Nguyễn Văn An", "0912345678", "1980", code, at.strftime(fmt), ""]
            for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M:%S")]
    rows.append(["Nguyễn Văn An", "0912345678", "1980", code, (at + timedelta(minutes=5)).strftime("%d/%m/%Y %H:%M"),
                 (at + timedelta(minutes=65)).strftime("%d/%m/%Y %H:%M")])
    rows.append(["Nguyễn Văn An", "0912345678", "1980", code, "31/02/2026 10:00", ""])  # no such day
    result = _import(venue, owner, rows)
    assert [(e.row, e.field) for e in result.errors] == [(7, "checked_in_at")]
    result = _import(venue, owner, rows[:-1])
    assert result.ok and result.created == 2 and result.duplicates == 3  # one time written four ways
    assert sorted(CheckIn.objects.values_list("checked_in_at", flat=True)) == [at, at + timedelta(minutes=5)]
    assert CheckIn.objects.get(checked_in_at=at + timedelta(minutes=5)).checked_out_at == at + timedelta(minutes=65)


_NAME_CHARS = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ áàảãạấầẩẫậ\t\u00a0\u2000\u2003-'.,09ß\u0130\u01c5\u034f\u0301\u0323\u00a8ΣσA"


@given(st.text(alphabet=_NAME_CHARS, max_size=30) | st.text(max_size=30))
def test_names_word_by_word_agree_with_whole_names(text):
    from lachan.core.text import fold, normalize_name

    name, folded, _errors = rows._name_of(text, rows._Memo(rows._word_of))
    assert name == normalize_name(text) and folded == fold(normalize_name(text))


def test_cyclic_gc_state_restored(venue, units, owner):
    import gc

    from lachan.core.errors import DomainError

    assert gc.isenabled()
    _import(venue, owner, [["Lê Văn Tư", "0909000111", "1970", units.commune.code, _t(60), ""]])
    assert gc.isenabled()
    with pytest.raises(DomainError):
        logbook.logbook_import(venue=venue, data=b"\xd0\xcf\x11\xe0", filename="x.xls", by=owner)  # an old .xls
    assert gc.isenabled()
    gc.disable()
    try:
        _import(venue, owner, [["Lê Văn Tư", "0909000111", "1970", units.commune.code, _t(30), ""]])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_error_table_names_columns_in_the_readers_language(venue, units, owner):
    """Issue 12 item 23: the logbook's error table showed field keys ("checked_in_at") in the Vietnamese interface."""
    from django.utils import translation

    rows = [["Lê Văn Tư", "12345", "1970", units.commune.code, "soon", ""]]
    result = _import(venue, owner, rows)
    with translation.override("vi"):
        assert [e.column for e in result.errors] == ["điện thoại", "giờ vào"]
        csv = result.errors_csv()
        assert csv.splitlines()[0] == "dòng,cột,lỗi" and "checked_in_at" not in csv
    with translation.override("en"):
        assert [e.column for e in result.errors] == ["phone", "check-in time"]


def test_a_commune_of_a_shared_name_is_read_with_its_district(venue, owner, wards):
    """Issue 12 item 20: "Phường 1" is three communes; written with its district, as the pages show it or in full,
    it is one; alone it is refused with the way out."""
    result = _import(venue, owner, [
        ["Lê Văn Năm", "0909000555", "1970", '"Phường 1, TP. Gò Công"', _t(60), ""],
        ["Lê Văn Sáu", "0909000666", "1971", "Phường 1 - Thành phố Mỹ Tho", _t(60), ""],
    ])
    assert result.ok, result.errors
    assert sorted(result.logbook.visitors.values_list("commune_id", flat=True)) == sorted(
        [wards.go_cong.pk, wards.my_tho.pk])
    refused = _import(venue, owner, [["Lê Văn Bảy", "0909000777", "1972", "Phường 1", _t(60), ""]])
    assert not refused.ok and "add its district (as in “Phường 1, TP. Mỹ Tho”)" in refused.errors[0].message
