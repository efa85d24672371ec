"""Paper logbooks beyond what their venue can hold are held for the commune station; people a logbook names who
are not registered yet wait for the station's review (accept, match, reject) before anything counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lachan.accounts.models import AuditEvent
from lachan.core.errors import DomainError, NotFound
from lachan.people.models import Person
from lachan.venues.logbooks import imports as logbook
from lachan.venues.logbooks import review as logbook_review
from lachan.venues.models import CheckIn, LogbookImport, LogbookStatus, LogbookVisitor, VisitorStatus
from lachan.venues.services import checkins_delete_before, venue_register

pytestmark = pytest.mark.django_db
HEADER = "Họ tên,Số điện thoại,Năm sinh,Xã,Giờ vào,Giờ ra\n"


@pytest.fixture
def salon(units, owner):
    return venue_register(by=owner, name="Tiệm tóc Mai", kind="barber", size="small", capacity=7,
                          commune=units.commune)


def _at(hours_ago: float, minutes: int = 0):
    return timezone.localtime(timezone.now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0) \
        + timedelta(minutes=minutes)


def _csv(rows):
    return (HEADER + "\n".join(",".join(r) for r in rows)).encode()


def _row(n, at, code, out=""):
    return [f"Khách Số {n}", f"0987{n:06d}", "1990", code, at.strftime("%Y-%m-%d %H:%M"), out]


def test_a_salon_of_seven_cannot_log_thousands(salon, person, units, owner, staff):
    """The reported case in small: a salon of 7 with hundreds of rows in a day is held whole, nothing written."""
    day = _at(30).replace(hour=9, minute=0)
    rows = [_row(n, day + timedelta(minutes=n % 500), units.commune.code) for n in range(300)]
    rows.append(["Nguyễn Văn An", "0912345678", "1980", units.commune.code, (day + timedelta(hours=2)).strftime(
        "%Y-%m-%d %H:%M"), ""])
    result = logbook.logbook_import(venue=salon, data=_csv(rows), filename="so.csv", by=owner)
    assert result.ok and result.held and result.created == 0
    assert not CheckIn.objects.exists() and Person.objects.count() == 1
    codes = {r["code"]: r for r in result.reasons}
    assert codes["checkins_per_day"]["count"] == 301 and codes["checkins_per_day"]["limit"] == 7 * 12
    assert codes["present_at_once"]["count"] > 14 and codes["present_at_once"]["limit"] == 14
    lb = result.logbook
    assert lb.status == LogbookStatus.HELD and lb.visitors.count() == 301
    # the station sees it; a visitor cannot be decided before the file is
    assert list(logbook_review.logbooks_to_review(user=staff.commune)) == [lb]
    assert not logbook_review.logbooks_to_review(user=staff.other_commune).exists()
    known = lb.visitors.get(known_person=person)
    with pytest.raises(DomainError):
        logbook_review.visitor_accept(visitor_id=lb.visitors.exclude(pk=known.pk).first().pk, by=staff.commune)
    # rejected: nothing written, the rows are dropped
    logbook_review.logbook_reject(logbook_id=lb.pk, by=staff.commune)
    lb.refresh_from_db()
    assert lb.status == LogbookStatus.REJECTED and not CheckIn.objects.exists()
    assert not LogbookVisitor.objects.filter(status=VisitorStatus.PENDING).exists()
    assert LogbookVisitor.objects.exclude(visits=[]).count() == 0
    assert not logbook_review.logbooks_to_review(user=staff.commune).exists()


def test_a_held_logbook_accepted_writes_registered_people_and_keeps_new_ones_waiting(salon, person, units, owner,
                                                                                       staff):
    day = _at(30).replace(hour=9, minute=0)
    rows = [_row(n, day + timedelta(minutes=5 * n), units.commune.code) for n in range(90)]
    rows.append(["Nguyễn Văn An", "0912345678", "1980", units.commune.code, (day + timedelta(hours=2)).strftime(
        "%Y-%m-%d %H:%M"), ""])
    result = logbook.logbook_import(venue=salon, data=_csv(rows), filename="busy.csv", by=owner)
    assert result.held and [r["code"] for r in result.reasons] == ["checkins_per_day"]
    with pytest.raises(NotFound):  # only the venue's station (or above)
        logbook_review.logbook_accept(logbook_id=result.logbook.pk, by=staff.other_commune)
    lb = logbook_review.logbook_accept(logbook_id=result.logbook.pk, by=staff.commune)
    assert lb.status == LogbookStatus.APPLIED and lb.checkins_written == 1
    assert CheckIn.objects.get().person == person and Person.objects.count() == 1
    assert lb.visitors.filter(status=VisitorStatus.PENDING).count() == 90
    with pytest.raises(DomainError):
        logbook_review.logbook_accept(logbook_id=lb.pk, by=staff.commune)


def test_a_logbook_split_in_files_is_counted_whole(salon, units, owner, person):
    day = _at(30).replace(hour=8, minute=0)
    first = [_row(n, day + timedelta(minutes=6 * n), units.commune.code) for n in range(80)]
    result = logbook.logbook_import(venue=salon, data=_csv(first), filename="a.csv", by=owner)
    assert not result.held
    for n in range(80):  # as if the station had accepted them
        CheckIn.objects.create(venue=salon, person=person, checked_in_at=day + timedelta(minutes=6 * n, seconds=1),
                               checked_out_at=day + timedelta(minutes=6 * n + 30), source="logbook")
    second = [_row(n, day + timedelta(minutes=6 * n + 3), units.commune.code) for n in range(100, 110)]
    result = logbook.logbook_import(venue=salon, data=_csv(second), filename="b.csv", by=owner)
    assert result.held and result.reasons[0]["count"] == 90


def test_new_people_wait_for_the_station_accept_match_reject(client, venue, person, units, owner, staff):
    code = units.commune.code
    twin = Person.objects.create(full_name="Nguyễn Văn Ân", search_name="nguyen van an", search_name_rev="an van nguyen",
                                 birth_year=1981, phone="0912000999", commune=units.commune)
    elsewhere = Person.objects.create(full_name="Lê Văn Xa", search_name="le van xa", search_name_rev="xa van le",
                                      birth_year=1970, phone="0912000888", commune=units.other_commune)
    rows = [
        ["Nguyễn Văn An", "0912345678", "1980", code, _at(5).strftime("%Y-%m-%d %H:%M"), ""],  # registered
        ["Trần Thị Lan", "0987111222", "1995", code, _at(4).strftime("%Y-%m-%d %H:%M"), ""],
        ["Trần Thị Lan", "0987111222", "1995", code, _at(3).strftime("%Y-%m-%d %H:%M"), ""],
        ["Ng. V. Ân", "0912000999", "1981", code, _at(4).strftime("%Y-%m-%d %H:%M"), ""],  # typed otherwise
        ["Lê Văn X", "0912000888", "1970", code, _at(4).strftime("%Y-%m-%d %H:%M"), ""],  # lives elsewhere
        ["Ai Đó", "0900000001", "2000", code, _at(4).strftime("%Y-%m-%d %H:%M"), ""],  # made up
    ]
    result = logbook.logbook_import(venue=venue, data=_csv(rows), filename="day.csv", by=owner)
    assert result.ok and not result.held and result.created == 1 and result.people_held == 4
    assert Person.objects.count() == 3 and CheckIn.objects.get().person == person
    lb = result.logbook
    visitor = {v.full_name: v for v in lb.visitors.all()}
    # accept: a new person with the duplicate check, and the visits
    lan = logbook_review.visitor_accept(visitor_id=visitor["Trần Thị Lan"].pk, by=staff.commune)
    assert lan.phone == "0987111222" and CheckIn.objects.filter(person=lan).count() == 2
    # match: to a registered person the station may see
    candidates = logbook_review.match_candidates(user=staff.commune, visitors=[visitor["Ng. V. Ân"],
                                                                             visitor["Lê Văn X"]])
    assert candidates[visitor["Ng. V. Ân"].pk] == [twin]
    assert candidates[visitor["Lê Văn X"].pk] == []  # outside the station's jurisdiction: not offered
    with pytest.raises(NotFound):
        logbook_review.visitor_match(visitor_id=visitor["Lê Văn X"].pk, person_id=elsewhere.pk, by=staff.commune)
    logbook_review.visitor_match(visitor_id=visitor["Ng. V. Ân"].pk, person_id=twin.pk, by=staff.commune)
    assert CheckIn.objects.filter(person=twin).count() == 1
    # reject: the visits are dropped
    logbook_review.visitor_reject(visitor_id=visitor["Ai Đó"].pk, by=staff.commune)
    assert not Person.objects.filter(phone="0900000001").exists()
    with pytest.raises(NotFound):  # decided once
        logbook_review.visitor_reject(visitor_id=visitor["Ai Đó"].pk, by=staff.commune)
    with pytest.raises(NotFound):  # another commune's station cannot act
        logbook_review.visitor_accept(visitor_id=visitor["Lê Văn X"].pk, by=staff.other_commune)
    assert AuditEvent.objects.filter(object_type="venue_logbook", object_id=str(lb.pk)).count() >= 4
    decided = LogbookVisitor.objects.exclude(status=VisitorStatus.PENDING).values_list("visits", flat=True)
    assert all(visits == [] for visits in decided)  # written as check-ins or dropped: not kept twice


def test_review_pages(client, venue, person, units, owner, staff):
    rows = [["Trần Thị Lan", "0987111222", "1995", units.commune.code, _at(4).strftime("%Y-%m-%d %H:%M"), ""],
            ["Ai Đó", "0900000001", "2000", units.commune.code, _at(4).strftime("%Y-%m-%d %H:%M"), ""]]
    lb = logbook.logbook_import(venue=venue, data=_csv(rows), filename="day.csv", by=owner).logbook
    url = reverse("venues:logbook_review", args=[lb.pk])
    # the owner is told, not given the register
    client.force_login(owner)
    assert client.get(reverse("venues:logbooks")).status_code == 404 and client.get(url).status_code == 404
    client.force_login(staff.other_commune)
    assert client.get(url).status_code == 404
    assert "Trần Thị Lan" not in client.get(reverse("venues:logbooks")).content.decode()
    client.force_login(staff.commune)
    listing = client.get(reverse("venues:list")).content.decode()
    assert "Paper logbooks to review (1)" in listing
    page = client.get(url).content.decode()
    assert "Trần Thị Lan" in page and "2 people to review" in page
    lan = lb.visitors.get(full_name="Trần Thị Lan")
    response = client.post(url, {"action": "accept", "visitor": lan.pk}, follow=True)
    assert "Trần Thị Lan was added to the register." in response.content.decode()
    assert Person.objects.filter(phone="0987111222").exists()
    client.post(url, {"action": "reject_file"})
    assert not client.get(reverse("venues:logbooks")).content.decode().count("day.csv")
    assert client.post(url, {"action": "accept", "visitor": "x"}).status_code == 302  # bad input: a message


def test_owner_page_says_people_wait_for_the_station(client, venue, units, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner)
    rows = [["Trần Thị Lan", "0987111222", "1995", units.commune.code, _at(4).strftime("%Y-%m-%d %H:%M"), ""]]
    response = client.post(f"/venues/{venue.pk}/", {"file": SimpleUploadedFile("log.csv", _csv(rows))}, follow=True)
    assert "1 person is not registered yet" in response.content.decode()


def test_held_rows_go_with_the_horizon(venue, units, owner):
    rows = [["Trần Thị Lan", "0987111222", "1995", units.commune.code, _at(4).strftime("%Y-%m-%d %H:%M"), ""]]
    logbook.logbook_import(venue=venue, data=_csv(rows), filename="day.csv", by=owner)
    assert LogbookVisitor.objects.count() == 1
    checkins_delete_before(cutoff=timezone.now() + timedelta(minutes=1))  # the file is past the horizon
    assert not LogbookVisitor.objects.exists() and LogbookImport.objects.count() == 1
