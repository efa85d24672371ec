from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from lachan.accounts.models import AuditEvent
from lachan.accounts.roles import Role
from lachan.core.errors import DomainError, NotFound, PermissionDenied
from lachan.geo.models import Place
from lachan.people import services
from lachan.people.duplicates import duplicates_detect_all, duplicates_detect_for
from lachan.people.errors import PeopleErrorCode as E
from lachan.people.models import DuplicateCandidate, DuplicateStatus, Household, Person, PersonMerge

BORN = date(1990, 5, 1)

# The enterprise layer is above people: reach its models through the app registry.
Enterprise = apps.get_model("enterprises", "Enterprise")
Worker = apps.get_model("enterprises", "Worker")


def pairs():
    return {(c.person_a.full_name, c.person_b.full_name, c.reason) for c in DuplicateCandidate.objects.all()}


def test_rule_national_id(make_person):
    a = make_person("Nguyễn Văn An", national_id="082090000111")
    b = make_person("Nguyễn An", national_id="082090000111")
    make_person("Someone Else", national_id="082090000112")
    duplicates_detect_for(person=b)
    cand = DuplicateCandidate.objects.get()
    assert (cand.person_a, cand.person_b, cand.reason) == (a, b, "same_national_id")


def test_rule_name_birth_commune(units, make_person):
    a = make_person("Nguyễn Văn An", birth_date=BORN)
    make_person("Nguyễn Văn An", birth_date=BORN, commune=units.commune2)  # other commune: not a candidate
    make_person("Nguyễn Văn An", birth_date=date(1991, 5, 1))  # other birth date: not a candidate
    b = make_person("Nguyen Van An", birth_date=BORN)
    duplicates_detect_for(person=b)
    assert pairs() == {(a.full_name, b.full_name, "same_name_birth_commune")}


def test_rule_phone_similar_name(make_person):
    a = make_person("Nguyễn Văn An", phone="0912345678")
    make_person("Trần Thị Bình", phone_alt="0912345678")  # a relative sharing the phone: different name
    b = make_person("Nguyễn Văn Anh", phone_alt="0912345678")
    found = duplicates_detect_for(person=b)
    assert [(c.person_a, c.person_b, c.reason) for c in found] == [(a, b, "same_phone_similar_name")]
    assert 0.85 <= found[0].score <= 1


def test_detection_on_create_via_service(staff, units):
    a = services.person_create(by=staff.commune, full_name="Lê Văn Tám", birth_date=BORN, commune=units.commune)
    b = services.person_create(by=staff.commune, full_name="le van tam", birth_date=BORN, commune=units.commune)
    assert DuplicateCandidate.objects.filter(person_a=a, person_b=b, status="open").exists()


def test_batch_detection_finds_each_rule_once(units, make_person):
    make_person("Nguyễn Văn An", national_id="082090000111")
    make_person("Nguyễn An", national_id="082090000111")
    make_person("Trần Bình", birth_date=BORN)
    make_person("Trần  Bình", birth_date=BORN)
    make_person("Lê Châu", phone="0912000000")
    make_person("Le Chau", phone="0912000000")
    make_person("Võ Dũng", phone="0913000000")
    make_person("Vo Dung", phone_alt="0913000000")
    make_person("Hồ Em", phone="0914000000")
    make_person("Đỗ Giang", phone="0914000000")  # same phone, different name
    found = duplicates_detect_all()
    assert found == {"same_national_id": 1, "same_name_birth_commune": 1, "same_phone_similar_name": 2}
    assert duplicates_detect_all() == {}  # idempotent
    out = StringIO()
    call_command("people_find_duplicates", stdout=out)
    assert "0 new candidates" in out.getvalue()


def test_dismissed_pair_is_not_proposed_again(staff, make_person):
    a = make_person("Nguyễn Văn An", birth_date=BORN)
    b = make_person("Nguyễn Văn An", birth_date=BORN)
    duplicates_detect_for(person=b)
    cand = DuplicateCandidate.objects.get()
    services.duplicate_dismiss(candidate=cand, by=staff.commune)
    duplicates_detect_all()
    duplicates_detect_for(person=a)
    assert list(DuplicateCandidate.objects.values_list("status", flat=True)) == ["dismissed"]
    with pytest.raises(DomainError) as exc:
        services.duplicate_dismiss(candidate=cand, by=staff.commune)
    assert exc.value.code == E.DUPLICATE_CLOSED


def test_merge_moves_every_linked_row(staff, units, make_person, make_user):
    household = Household.objects.create(commune=units.commune, address_line="12 Ấp Bắc")
    keep = make_person("Nguyễn Văn An", birth_date=BORN, phone="0912345678")
    merge = make_person("Nguyen Van An", birth_date=BORN, national_id="082090000111", household=household,
                        phone="0987654321", occupation="công nhân")
    third = make_person("Nguyễn Văn An", birth_date=BORN)
    tombstone = make_person("Nguyễn V. An", merged_into=merge)
    place = Place.objects.create(kind="enterprise", name="Công ty A", commune=units.commune)
    place2 = Place.objects.create(kind="enterprise", name="Công ty B", commune=units.commune)
    ent, ent2 = Enterprise.objects.create(place=place), Enterprise.objects.create(place=place2)
    Worker.objects.create(enterprise=ent, person=keep, employee_code="K1")
    Worker.objects.create(enterprise=ent, person=merge, employee_code="M1")  # same enterprise: dropped
    moved_worker = Worker.objects.create(enterprise=ent2, person=merge, employee_code="M2")
    citizen = make_user(Role.CITIZEN)
    merge.account = citizen
    merge.save()
    duplicates_detect_all()
    cand = DuplicateCandidate.objects.get(person_a=keep, person_b=merge)

    record = services.duplicate_merge(candidate=cand.pk, keep_id=keep.pk, by=staff.commune)

    keep.refresh_from_db()
    merge.refresh_from_db()
    tombstone.refresh_from_db()
    moved_worker.refresh_from_db()
    assert merge.merged_into == keep and tombstone.merged_into == keep
    assert moved_worker.person == keep
    assert set(Worker.objects.filter(person=keep).values_list("employee_code", flat=True)) == {"K1", "M2"}
    assert not Worker.objects.filter(person=merge).exists()
    assert keep.household == household and keep.national_id == "082090000111" and keep.occupation == "công nhân"
    assert keep.phone == "0912345678" and keep.phone_alt == "0987654321"
    assert keep.account == citizen and merge.account is None
    assert record.moved["enterprises.worker.person"] == 1
    assert record.moved["enterprises.worker.person (duplicate dropped)"] == 1
    assert record.snapshot["national_id"] == "082090000111" and record.merged_id == merge.pk
    cand.refresh_from_db()
    assert cand.status == DuplicateStatus.MERGED and cand.decided_by == staff.commune
    # The third record is now suspected of being the survivor.
    assert DuplicateCandidate.objects.filter(person_a=keep, person_b=third, status="open").exists()
    assert not DuplicateCandidate.objects.filter(person_b=merge, status="open").exists()
    assert set(AuditEvent.objects.filter(action="merge").values_list("person_id", flat=True)) == {keep.pk, merge.pk}
    assert Household.objects.get().members.get() == keep


def test_merge_refuses_bad_requests(staff, units, make_person, make_user):
    a = make_person("A B", phone="0912345678")
    b = make_person("A B", phone="0912345678")
    outside = make_person("A B", commune=units.other_commune)
    with pytest.raises(DomainError) as exc:
        services.person_merge(keep=a, merge=a, by=staff.commune)
    assert exc.value.code == E.MERGE_SAME
    with pytest.raises(NotFound):
        services.person_merge(keep=a, merge=outside, by=staff.commune)
    with pytest.raises(PermissionDenied):
        services.person_merge(keep=a, merge=b, by=make_user(Role.IOC_OPERATOR, unit=units.province))
    a.account, b.account = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    a.save()
    b.save()
    with pytest.raises(DomainError) as exc:
        services.person_merge(keep=a, merge=b, by=staff.commune)
    assert exc.value.code == E.MERGE_BOTH_ACCOUNTS
    b.refresh_from_db()
    assert b.merged_into is None and not PersonMerge.objects.exists()
    b.account = None
    b.save()
    services.person_merge(keep=a, merge=b, by=staff.commune)
    with pytest.raises(DomainError) as exc:
        services.person_merge(keep=a, merge=b, by=staff.commune)
    assert exc.value.code == E.MERGE_INACTIVE


def test_candidate_outside_scope_is_not_found(staff, units, make_person):
    make_person("Nguyễn Văn An", birth_date=BORN, commune=units.other_commune)
    make_person("Nguyễn Văn An", birth_date=BORN, commune=units.other_commune)
    duplicates_detect_all()
    cand = DuplicateCandidate.objects.get()
    with pytest.raises(NotFound):
        services.duplicate_dismiss(candidate=cand, by=staff.commune)
    with pytest.raises(DomainError):
        services.duplicate_merge(candidate=cand, keep_id=Person.objects.first().pk, by=staff.commune)
    services.duplicate_merge(candidate=cand, keep_id=cand.person_b_id, by=staff.other_commune)
    assert Person.objects.get(pk=cand.person_a_id).merged_into_id == cand.person_b_id
