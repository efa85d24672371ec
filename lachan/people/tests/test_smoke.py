from datetime import date

from lachan.people import services


def test_smoke(staff, units, cccd):
    p = services.person_create(by=staff.commune, full_name=" nguyễn  văn an ", sex="M", birth_date=date(1990, 5, 1),
                               national_id=cccd(1990), phone="+84 162 345 6789", commune=units.commune)
    assert p.full_name == "Nguyễn Văn An" and p.phone == "0323456789" and p.search_name == "nguyen van an"
    q = services.person_create(by=staff.commune, full_name="Nguyen Van An", sex="M", birth_date=date(1990, 5, 1),
                               phone="0912345678", commune=units.commune)
    from lachan.people.models import DuplicateCandidate
    c = DuplicateCandidate.objects.get()
    assert c.person_a == p and c.person_b == q
    services.duplicate_merge(candidate=c, keep_id=p.pk, by=staff.commune)
    q.refresh_from_db()
    assert q.merged_into == p
