from datetime import date

import pytest
from django.apps import apps

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import NotFound, PermissionDenied
from lachan.people import selectors

# The enterprise layer is above people: reach its models through the app registry.
Worker = apps.get_model("enterprises", "Worker")


def names(qs):
    return sorted(p.full_name for p in qs)


@pytest.fixture
def town(units, make_person):
    return {
        "an": make_person("Nguyễn Văn An", commune=units.commune, phone="0912345678", national_id="082090000111"),
        "binh": make_person("Trần Thị Bình", commune=units.commune2, sex="F", phone="0987654321", phone_alt="0323456789"),
        "chau": make_person("Lê Minh Châu", commune=units.other_commune, birth_date=date(2001, 4, 5)),
    }


def test_jurisdiction_of_units(staff, town):
    assert names(selectors.person_list(user=staff.commune)) == ["Nguyễn Văn An"]
    assert names(selectors.person_list(user=staff.district)) == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert names(selectors.person_list(user=staff.province)) == ["Lê Minh Châu", "Nguyễn Văn An", "Trần Thị Bình"]
    assert names(selectors.person_list(user=staff.other_commune)) == ["Lê Minh Châu"]


def test_place_user_sees_workers_only(units, make_user, town, enterprise_place):
    officer = make_user(Role.ENTERPRISE_OFFICER, place=enterprise_place.place)
    assert names(selectors.person_list(user=officer)) == []
    Worker.objects.create(enterprise=enterprise_place, person=town["chau"])
    assert names(selectors.person_list(user=officer)) == ["Lê Minh Châu"]
    assert selectors.person_get(user=officer, person_id=town["chau"].pk) == town["chau"]
    with pytest.raises(NotFound):
        selectors.person_get(user=officer, person_id=town["an"].pk)


def test_citizen_sees_only_self(units, make_user, town):
    citizen = make_user(Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        selectors.person_list(user=citizen)
    with pytest.raises(NotFound):
        selectors.person_get(user=citizen, person_id=town["an"].pk)
    town["an"].account = citizen
    town["an"].save()
    assert selectors.person_get(user=citizen, person_id=town["an"].pk) == town["an"]
    assert selectors.person_mine(user=citizen) == town["an"]
    with pytest.raises(NotFound):
        selectors.person_get(user=citizen, person_id=town["binh"].pk)


def test_outside_scope_and_bad_ids_are_not_found(staff, town):
    for pid in (town["chau"].pk, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            selectors.person_get(user=staff.commune, person_id=pid)


@pytest.mark.parametrize("query, expected", [
    ("nguyen van an", ["Nguyễn Văn An"]),
    ("Nguyễn Văn An", ["Nguyễn Văn An"]),
    ("van an", ["Nguyễn Văn An"]),
    ("NGUYEN", ["Nguyễn Văn An"]),
    ("ngu an", ["Nguyễn Văn An"]),
    ("an nguyen", ["Nguyễn Văn An"]),  # word order does not matter
    ("chau", ["Lê Minh Châu"]),
    ("thi", ["Trần Thị Bình"]),
    ("guyen", []),  # not the start of a word
    ("van binh", []),
    ("082090000111", ["Nguyễn Văn An"]),
    ("082 090 000 111", ["Nguyễn Văn An"]),
    ("0912345678", ["Nguyễn Văn An"]),
    ("+84 912 345 678", ["Nguyễn Văn An"]),
    ("912345678", ["Nguyễn Văn An"]),
    ("01623456789", ["Trần Thị Bình"]),  # old number finds the converted second phone
    ("0987.654.321", ["Trần Thị Bình"]),
    ("+12025550123", []),
    ("!!!", []),
])
def test_search(staff, town, query, expected):
    assert names(selectors.person_list(user=staff.province, query=query)) == expected


def test_search_respects_scope(staff, town):
    assert names(selectors.person_list(user=staff.commune, query="chau")) == []
    assert names(selectors.person_list(user=staff.commune, query="0987654321")) == []


def test_filters(staff, units, town):
    assert names(selectors.person_list(user=staff.province, commune=units.commune2)) == ["Trần Thị Bình"]
    assert names(selectors.person_list(user=staff.province, sex="F")) == ["Trần Thị Bình"]
    assert names(selectors.person_list(user=staff.province, birth_year_from=2000, birth_year_to=2002)) == ["Lê Minh Châu"]
    # A commune outside the jurisdiction yields nobody rather than its people.
    assert names(selectors.person_list(user=staff.commune, commune=units.other_commune)) == []


def test_merged_tombstones_are_hidden(staff, town, make_person):
    ghost = make_person("Nguyễn Văn An", merged_into=town["an"])
    assert ghost.pk not in {p.pk for p in selectors.person_list(user=staff.province)}
    with pytest.raises(NotFound):
        selectors.person_get(user=staff.province, person_id=ghost.pk)


def test_pagination_without_count(staff, units, make_person):
    for i in range(7):
        make_person(f"Phạm Văn {chr(65 + i)}")
    qs = selectors.person_list(user=staff.commune)
    first = selectors.page_of(qs, page=1, size=3)
    last = selectors.page_of(qs, page=3, size=3)
    assert [p.full_name for p in first.items] == ["Phạm Văn A", "Phạm Văn B", "Phạm Văn C"] and first.has_next
    assert [p.full_name for p in last.items] == ["Phạm Văn G"] and not last.has_next
    assert selectors.page_of(qs, page="junk", size=3).number == 1


def test_reads_are_audited_once_per_list(staff, town):
    AuditEvent.objects.all().delete()
    list(selectors.person_list(user=staff.province, query="nguyen"))
    list(selectors.person_list(user=staff.province))
    selectors.person_get(user=staff.province, person_id=town["an"].pk)
    events = list(AuditEvent.objects.order_by("at", "pk").values_list("action", "detail", "person_id"))
    assert events[0][:2] == ("search", {"query": "nguyen"})
    assert events[1][0] == "list"
    assert events[2] == ("read", {}, town["an"].pk)
    assert len(events) == 3


def test_export_rows_and_cap(staff, units, town):
    rows = list(selectors.person_export_rows(user=staff.district))
    assert [r[0] for r in rows] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert rows[0][7] == units.province.name and rows[0][9] == units.commune.name
    assert AuditEvent.objects.filter(action="export").exists()
    with pytest.raises(Exception) as exc:
        selectors.person_export_rows(user=staff.province, limit=2)
    assert "narrow the filters" in str(exc.value)


def test_export_needs_permission(units, make_user, town):
    checkpoint = make_user(Role.CHECKPOINT_OFFICER)
    with pytest.raises(PermissionDenied):
        selectors.person_export_rows(user=checkpoint)


def test_best_matches_first_and_pages_span_the_parts(staff, units, make_person):
    # "an": full names starting with it, then given names starting with it; a middle "An" is not needed.
    for name in ("An Thị Mai", "An Văn Bé", "Lê Văn An", "Trần Thị Anh", "Võ An Khang", "Hồ Văn An", "Lý Văn Bình"):
        make_person(name)
    results = selectors.person_list(user=staff.commune, query="an")
    ordered = [p.full_name for p in results]
    assert ordered == ["An Thị Mai", "An Văn Bé", "Hồ Văn An", "Lê Văn An", "Trần Thị Anh"]
    pages = [selectors.page_of(results, page=n, size=2) for n in (1, 2, 3, 4)]
    assert [[p.full_name for p in page.items] for page in pages] == [ordered[0:2], ordered[2:4], ordered[4:5], []]
    assert [page.has_next for page in pages] == [True, True, False, False]


def test_family_and_given_name_skip_the_middle_name(staff, units, make_person):
    for name in ("Nguyễn An Khang", "Nguyễn Văn An", "Trần Văn An", "Nguyễn Thị Bình"):
        make_person(name)
    assert [p.full_name for p in selectors.person_list(user=staff.commune, query="nguyen an")] == [
        "Nguyễn An Khang", "Nguyễn Văn An",
    ]


def test_words_inside_names_are_the_fallback_when_nothing_else_matches(staff, units, make_person):
    for name in ("Võ An Khang", "Lê Thị Bình"):
        make_person(name)
    assert [p.full_name for p in selectors.person_list(user=staff.commune, query="an")] == ["Võ An Khang"]
    page = selectors.page_of(selectors.person_list(user=staff.commune, query="an"), page=1, size=1)
    assert [p.full_name for p in page.items] == ["Võ An Khang"] and not page.has_next
    assert selectors.page_of(selectors.person_list(user=staff.commune, query="an"), page=2, size=1).items == []


def test_export_uses_every_part_of_a_name_search(staff, units, make_person):
    for name in ("An Thị Mai", "Lê Văn An", "Võ An Khang", "Lý Văn Bình"):
        make_person(name)
    rows = list(selectors.person_export_rows(user=staff.commune, query="an"))
    assert sorted(r[0] for r in rows) == ["An Thị Mai", "Lê Văn An"]
