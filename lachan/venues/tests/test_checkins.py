from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from lachan.core.errors import DomainError, NotFound
from lachan.core.scheduler import registered_jobs
from lachan.people.models import DuplicateCandidate, DuplicateStatus, Person
from lachan.venues import qr, services
from lachan.venues.models import CheckIn, Venue
from lachan.venues.policy import checkin_rules
from lachan.venues.selectors import checkins_of_person, checkins_overlapping

pytestmark = pytest.mark.django_db


# ---- signed QR ----------------------------------------------------------------------------------

def test_qr_token_round_trip(venue):
    token = qr.qr_token(venue)
    code, signature = token.split(".")
    assert code == venue.code and len(code) == 12 and len(signature) == qr.SIGNATURE_LENGTH
    assert qr.qr_verify(token) == venue
    assert qr.qr_verify(f"https://lachan.example/c/{token}") == venue


def test_qr_forged_signature_refused(venue):
    code, signature = qr.qr_token(venue).split(".")
    forged = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(DomainError) as exc:
        qr.qr_verify(f"{code}.{forged}")
    assert exc.value.code == "venue_qr_forged"


def test_qr_signed_with_another_key_refused(venue):
    token = qr.qr_token(venue)
    with override_settings(SECRET_KEY="another-secret-key-entirely-different-0123456789"):
        with pytest.raises(DomainError) as exc:
            qr.qr_verify(token)
    assert exc.value.code == "venue_qr_forged"


@pytest.mark.parametrize("token", ["", "nodot", ".sig", "code.", "x" * 200, "mã.chữký", "a.b.c"])
def test_qr_malformed_refused(token, venue):
    with pytest.raises(DomainError) as exc:
        qr.qr_verify(token)
    assert exc.value.code in ("venue_qr_malformed", "venue_qr_forged")


def test_qr_unknown_venue(venue):
    token = qr.qr_token(venue)
    Venue.objects.filter(pk=venue.pk).update(code="zzzzzzzzzzzz")
    with pytest.raises(NotFound) as exc:
        qr.qr_verify(token)
    assert exc.value.code == "venue_qr_unknown"


def test_venue_without_code_gets_one(venue):
    Venue.objects.filter(pk=venue.pk).update(code=None)
    venue.refresh_from_db()
    token = qr.qr_token(venue)
    assert Venue.objects.get(pk=venue.pk).code == token.split(".")[0]


def test_qr_pages_never_500(client, venue):
    token = qr.qr_token(venue)
    assert client.get(f"/c/{token}").status_code == 200
    # The last character changed to one it is not (a fixed "x" was the token itself 1 run in 64).
    tampered = token[:-1] + ("y" if token.endswith("x") else "x")
    for bad in ("garbage", "abc.def", tampered, "%00.%00"):
        response = client.get(f"/c/{bad}")
        assert response.status_code in (400, 404), bad
        assert b"Cannot check in" in response.content


# ---- check-in, dedupe, check-out ---------------------------------------------------------------

def test_checkin_assumes_checkout_from_default_stay(venue, person):
    checkin, created = services.checkin_create(venue=venue, person=person)
    assert created and checkin.checkout_assumed
    assert checkin.checked_out_at - checkin.checked_in_at == timedelta(minutes=checkin_rules().stay_minutes("cafe"))


def test_checkin_same_client_key_is_the_same(venue, person):
    now = timezone.now()
    first, created = services.checkin_create(venue=venue, person=person, client_key="k1", checked_in_at=now - timedelta(hours=3))
    again, created_again = services.checkin_create(venue=venue, person=person, client_key="k1",
                                                   checked_in_at=now - timedelta(hours=3))
    assert created and not created_again and again.pk == first.pk
    assert CheckIn.objects.count() == 1


def test_second_scan_within_dedupe_window(venue, person):
    now = timezone.now()
    window = checkin_rules().dedupe
    first, _ = services.checkin_create(venue=venue, person=person, now=now - timedelta(minutes=5))
    second, created = services.checkin_create(venue=venue, person=person, now=now)
    assert not created and second.pk == first.pk
    # after the dedupe window it is a new visit
    third, created = services.checkin_create(venue=venue, person=person, now=now + window)
    assert created and third.pk != first.pk


def test_scan_after_checkout_is_a_new_visit(venue, person):
    now = timezone.now()
    first, _ = services.checkin_create(venue=venue, person=person, now=now - timedelta(minutes=5))
    services.checkin_checkout(checkin=first, now=now - timedelta(minutes=2))
    second, created = services.checkin_create(venue=venue, person=person, now=now)
    assert created and second.pk != first.pk


@pytest.mark.parametrize("delta, code", [
    (timedelta(minutes=5), "checkin_time_future"),
    (timedelta(days=-60), "checkin_time_too_old"),
])
def test_checkin_time_refused(venue, person, delta, code):
    with pytest.raises(DomainError) as exc:
        services.checkin_create(venue=venue, person=person, checked_in_at=timezone.now() + delta)
    assert exc.value.code == code
    assert not CheckIn.objects.exists()


def test_clock_skew_allowed(venue, person):
    _checkin, created = services.checkin_create(venue=venue, person=person,
                                                checked_in_at=timezone.now() + timedelta(seconds=90))
    assert created


def test_checkout_rules(venue, person):
    now = timezone.now()
    max_stay = checkin_rules().max_stay
    start = now - max_stay - timedelta(hours=1)
    checkin, _ = services.checkin_create(venue=venue, person=person, checked_in_at=start)
    with pytest.raises(DomainError) as exc:
        services.checkin_checkout(checkin=checkin, checked_out_at=now)  # longer than the longest stay
    assert exc.value.code == "checkin_stay_too_long"
    with pytest.raises(DomainError) as exc:
        services.checkin_checkout(checkin=checkin, checked_out_at=start - timedelta(minutes=1))
    assert exc.value.code == "checkout_before_checkin"
    with pytest.raises(DomainError) as exc:
        services.checkin_checkout(checkin=checkin, checked_out_at=now + timedelta(hours=1))
    assert exc.value.code == "checkin_time_future"
    out = start + timedelta(minutes=50)
    done = services.checkin_checkout(checkin=checkin, checked_out_at=out)
    assert not done.checkout_assumed and done.checked_out_at == out
    # a retried check-out changes nothing
    assert services.checkin_checkout(checkin=checkin, checked_out_at=now).checked_out_at == out


def test_policy_rules_used_when_in_force(venue, person):
    from lachan.core.models import Policy

    Policy.objects.filter(kind="tracing").delete()
    assert checkin_rules().max_stay_minutes == 240  # the fallback without a policy
    Policy.objects.create(kind="tracing", version="test", valid_from=timezone.localdate() - timedelta(days=60),
                          rules={"default_stay_minutes": {"cafe": 45, "default": 30}, "max_stay_minutes": 120,
                                 "dedupe_minutes": 3, "horizon_days": 14})
    checkin, _ = services.checkin_create(venue=venue, person=person)
    assert checkin.checked_out_at - checkin.checked_in_at == timedelta(minutes=45)
    with pytest.raises(DomainError):
        services.checkin_create(venue=venue, person=person, checked_in_at=timezone.now() - timedelta(days=15))


# ---- tracing reads ------------------------------------------------------------------------------

def test_copresence_reads(venue, person, units):
    other = Person.objects.create(full_name="Trần Thị Bình", search_name="tran thi binh", birth_year=1990,
                                  phone="0987654321", commune=units.commune)
    now = timezone.now()
    a, _ = services.checkin_create(venue=venue, person=person, checked_in_at=now - timedelta(hours=3))
    services.checkin_checkout(checkin=a, checked_out_at=now - timedelta(hours=2))
    b, _ = services.checkin_create(venue=venue, person=other, checked_in_at=now - timedelta(hours=2, minutes=30))
    c, _ = services.checkin_create(venue=venue, person=other, checked_in_at=now - timedelta(minutes=30))
    rows = checkins_overlapping(venue_id=venue.pk, start=now - timedelta(hours=3), end=now - timedelta(hours=2))
    assert {(r.person_id, r.checked_in_at) for r in rows} == {(person.pk, a.checked_in_at), (other.pk, b.checked_in_at)}
    mine = checkins_of_person(person_id=other.pk, start=now - timedelta(hours=1), end=now)
    assert [r.checked_in_at for r in mine] == [c.checked_in_at]


# ---- retention ----------------------------------------------------------------------------------

def test_checkins_before_a_time_are_deleted_in_batches(venue, person):
    # The daily job (lachan.workflows.retention) gives the tracing horizon.
    now = timezone.now()
    horizon = checkin_rules().horizon
    services.checkin_create(venue=venue, person=person, checked_in_at=now - horizon + timedelta(days=1))
    services.checkin_create(venue=venue, person=person, checked_in_at=now - horizon + timedelta(days=1, hours=1))
    keep, _ = services.checkin_create(venue=venue, person=person, checked_in_at=now - timedelta(days=1))
    assert services.checkins_delete_before(cutoff=now + timedelta(days=2) - horizon, batch=1) == 2
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [keep.pk]
    assert "workflows.tracing_retention" in {job.name for job in registered_jobs()}


# ---- the phone page ------------------------------------------------------------------------------

def test_first_checkin_never_attaches_to_an_existing_person_then_one_tap(client, venue, person, units, staff):
    """Anyone can type a neighbour's name and phone: the visit goes to a new record, and the pair waits in the
    station's people review queue (merge or "not the same person"). The form shows nothing of the existing one."""
    url = f"/c/{qr.qr_token(venue)}"
    response = client.post(url, {"action": "register", "full_name": "nguyen van an", "phone": "+84 912 345 678",
                                 "birth_year": "1980", "commune": units.commune.code})
    assert response.status_code == 302
    new = Person.objects.exclude(pk=person.pk).get()
    assert CheckIn.objects.get().person == new and not CheckIn.objects.filter(person=person).exists()
    candidate = DuplicateCandidate.objects.get()
    assert {candidate.person_a_id, candidate.person_b_id} == {person.pk, new.pk}
    assert candidate.status == DuplicateStatus.OPEN
    page = client.get(response["Location"])
    assert b"checked-in" in page.content
    # the commune's station sees the pair to review; a station elsewhere does not
    client.force_login(staff.commune)
    assert new.full_name.encode() in client.get(reverse("people:duplicates")).content
    client.force_login(staff.other_commune)
    assert b"nguyen van an" not in client.get(reverse("people:duplicates")).content.lower()
    client.logout()
    # the phone remembers the new record (signed cookie); one tap
    client.cookies.update(response.cookies)
    CheckIn.objects.all().delete()
    page = client.get(url)
    assert b'data-testid="checkin"' in page.content
    client.post(url, {"action": "checkin"})
    assert CheckIn.objects.get().person == new
    client.post(url, {"action": "checkout"})
    assert not CheckIn.objects.get().checkout_assumed


def test_checkin_form_limited_per_address_and_province_wide(client, venue, units, settings):
    settings.LACHAN_RATE_LIMITS = {"venues.checkin_new.address": (3, 600), "venues.checkin_new.all": (5, 600)}
    url = f"/c/{qr.qr_token(venue)}"

    def register(n, ip):
        return client.post(url, {"action": "register", "full_name": f"Người Thứ {n}", "phone": f"09091234{n:02d}",
                                 "birth_year": "1985", "commune": units.commune.code}, REMOTE_ADDR=ip)

    assert [register(n, "198.51.100.1").status_code for n in range(4)] == [302, 302, 302, 429]
    limited = register(4, "198.51.100.1")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert b'data-testid="checkin-limited"' in limited.content and b"Too many attempts" in limited.content
    assert b'value="Ng' in limited.content  # the form as typed, to try again later
    assert Person.objects.count() == 3
    # another address may, until the province-wide limit
    assert [register(n, "198.51.100.2").status_code for n in range(5, 8)] == [302, 302, 429]
    assert Person.objects.count() == 5
    # X-Forwarded-For is not believed from an untrusted peer: no way around the limit
    response = client.post(url, {"action": "register", "full_name": "Người Khác", "phone": "0909000111",
                                 "birth_year": "1985", "commune": units.commune.code},
                           REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert response.status_code == 429


def test_first_checkin_creates_person_and_refuses_bad_phone(client, venue, units):
    url = f"/c/{qr.qr_token(venue)}"
    response = client.post(url, {"action": "register", "full_name": "Lê Văn Cường", "phone": "12345",
                                 "birth_year": "1985", "commune": units.commune.code})
    assert response.status_code == 200 and not Person.objects.exists()
    response = client.post(url, {"action": "register", "full_name": "Lê Văn Cường", "phone": "0909123456",
                                 "birth_year": "1985", "commune": units.commune.code})
    assert response.status_code == 302
    assert Person.objects.get().phone == "0909123456"


def test_forged_cookie_ignored(client, venue):
    client.cookies["lc_person"] = "00000000-0000-0000-0000-000000000000"
    page = client.get(f"/c/{qr.qr_token(venue)}")
    assert b'data-testid="register"' in page.content
