from datetime import date, timedelta

import pytest
from django.utils import timezone

from lachan.accounts import services
from lachan.accounts.models import PhoneVerification, User
from lachan.accounts.roles import Role
from lachan.accounts.services import (
    citizen_registration_resend,
    citizen_registration_start,
    citizen_registration_verify,
)
from lachan.accounts.signals import citizen_registered
from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.notifications.models import Message

pytestmark = pytest.mark.django_db

PASSWORD = "Lachan!2021pw"
BORN = date(1990, 5, 17)


@pytest.fixture
def code(monkeypatch):
    """Codes issued in order: 111111, 222222, … (the real ones are random)."""
    issued = []

    def new_code():
        issued.append(f"{len(issued) + 1}" * 6)
        return issued[-1]

    monkeypatch.setattr(services, "_new_code", new_code)
    return issued


def start(phone="+84 912 345 678", **kw):
    return citizen_registration_start(
        phone=phone, full_name=kw.pop("full_name", "Nguyễn Văn An"), birth_date=kw.pop("birth_date", BORN),
        password=kw.pop("password", PASSWORD), **kw,
    )


def test_registration_sends_a_code_by_sms_and_stores_only_its_hash(code):
    verification = start()
    assert verification.phone == "0912345678"
    message = Message.objects.get(template_code="account.otp")
    assert message.channel == "sms" and message.to == "0912345678" and code[0] in message.body
    assert len(verification.code_hash) == 64 and verification.code_hash != code[0]
    assert PASSWORD not in verification.password_hash
    assert verification.expires_at - verification.created_at == timedelta(minutes=10)
    assert not User.objects.filter(username="0912345678").exists()


def test_right_code_creates_the_citizen_and_sends_the_signal(code, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, user, full_name, birth_date, **kwargs):
        received.append((user.username, full_name, birth_date))

    citizen_registered.connect(receiver, dispatch_uid="test_receiver")
    try:
        verification = start()
        with django_capture_on_commit_callbacks(execute=True):
            user = citizen_registration_verify(verification_id=verification.pk, code=code[0])
    finally:
        citizen_registered.disconnect(dispatch_uid="test_receiver")
    assert user.role == Role.CITIZEN and user.username == "0912345678" and user.phone == "0912345678"
    assert user.check_password(PASSWORD) and user.get_full_name() == "Nguyễn Văn An"
    assert user.jurisdiction_unit is None and user.jurisdiction_place is None
    assert received == [("0912345678", "Nguyễn Văn An", BORN)]
    # The code cannot be used twice, and the phone cannot register again.
    with pytest.raises(NotFound):
        citizen_registration_verify(verification_id=verification.pk, code=code[0])
    with pytest.raises(DomainError) as err:
        start()
    assert err.value.code == "phone_taken"


@pytest.mark.parametrize("phone", ["12345", "0212345678", "+1 202 555 0100", "091234567", "abc", "",
                                   "0501234567", "0711234567", "0801234567"])  # no network's prefixes
def test_bad_phone_is_refused(code, phone):
    with pytest.raises(DomainError) as err:
        start(phone=phone)
    assert err.value.code == "phone_invalid" and err.value.field == "phone"
    assert not PhoneVerification.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(("typed", "phone"), [("0084912345678", "0912345678"), ("912345678", "0912345678"),
                                              ("0912/345/678", "0912345678"), ("01662345678", "0362345678")])
def test_phone_read_as_the_people_register_reads_it(code, typed, phone):
    assert start(phone=typed).phone == phone


def test_other_bad_details_are_all_reported(code):
    with pytest.raises(ValidationFailed) as err:
        start(phone="1", full_name=" ", birth_date=timezone.localdate() + timedelta(days=1))
    assert {e.field for e in err.value.errors} == {"phone", "full_name", "birth_date"}
    with pytest.raises(DomainError) as weak:
        start(password="12345678")
    assert weak.value.code == "password_weak"
    assert not PhoneVerification.objects.exists()


def test_wrong_code_then_too_many_attempts(code):
    verification = start()
    for _ in range(4):
        with pytest.raises(DomainError) as err:
            citizen_registration_verify(verification_id=verification.pk, code="999999")
        assert err.value.code == "code_wrong"
    with pytest.raises(DomainError) as err:
        citizen_registration_verify(verification_id=verification.pk, code="999999")
    assert err.value.code == "code_too_many_attempts"
    # Even the right code is refused now.
    with pytest.raises(DomainError) as err:
        citizen_registration_verify(verification_id=verification.pk, code=code[0])
    assert err.value.code == "code_too_many_attempts"
    assert PhoneVerification.objects.get(pk=verification.pk).attempts == 5
    assert not User.objects.filter(username="0912345678").exists()


def test_expired_code(code):
    verification = start()
    PhoneVerification.objects.filter(pk=verification.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DomainError) as err:
        citizen_registration_verify(verification_id=verification.pk, code=code[0])
    assert err.value.code == "code_expired"
    assert not User.objects.exists() or not User.objects.filter(username="0912345678").exists()


def test_resend_replaces_the_code_and_sends_are_rate_limited(code):
    first = start()
    second = citizen_registration_resend(verification_id=first.pk)
    with pytest.raises(DomainError) as err:  # the old code stopped working
        citizen_registration_verify(verification_id=first.pk, code=code[0])
    assert err.value.code == "code_expired"
    third = citizen_registration_resend(verification_id=second.pk)
    with pytest.raises(DomainError) as err:
        citizen_registration_resend(verification_id=third.pk)
    assert err.value.code == "send_rate_limited"
    with pytest.raises(DomainError) as err:
        start()
    assert err.value.code == "send_rate_limited"
    assert Message.objects.filter(template_code="account.otp").count() == 3
    user = citizen_registration_verify(verification_id=third.pk, code=code[2])
    assert user.username == "0912345678"


def test_registration_pages(client, code):
    bad = client.post("/accounts/register/", {"phone": "123", "full_name": "An", "birth_date": "1990-05-17",
                                              "password1": PASSWORD, "password2": PASSWORD})
    assert bad.status_code == 200 and "phone" in bad.context["form"].errors
    mismatch = client.post("/accounts/register/", {"phone": "0912345678", "full_name": "An",
                                                   "birth_date": "1990-05-17", "password1": PASSWORD,
                                                   "password2": "other"})
    assert "password2" in mismatch.context["form"].errors
    ok = client.post("/accounts/register/", {"phone": "0912 345 678", "full_name": "Nguyễn Văn An",
                                             "birth_date": "1990-05-17", "password1": PASSWORD, "password2": PASSWORD})
    assert ok.status_code == 302 and ok.url == "/accounts/register/code/"
    wrong = client.post("/accounts/register/code/", {"code": "000000"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    done = client.post("/accounts/register/code/", {"code": code[0]})
    assert done.status_code == 302 and done.url == "/accounts/me/"
    me = client.get("/accounts/me/")
    assert me.context["user"].role == Role.CITIZEN
    client.post("/accounts/logout/")
    # And the citizen logs in with the phone.
    assert client.post("/accounts/login/", {"username": "+84912345678", "password": PASSWORD}).status_code == 302


def test_codes_limited_per_address_and_for_everyone(code, settings):
    """SMS pumping: codes to many numbers from one address, or from many addresses, are limited."""
    settings.LACHAN_RATE_LIMITS = {"accounts.code_sends.address": (2, 3600), "accounts.code_sends.all": (3, 3600)}
    start(phone="0912000001", ip="198.51.100.1")
    start(phone="0912000002", ip="198.51.100.1")
    with pytest.raises(DomainError) as exc:
        start(phone="0912000003", ip="198.51.100.1")
    assert exc.value.code == "send_rate_limited" and exc.value.status == 429 and exc.value.field == "phone"
    start(phone="0912000004", ip="198.51.100.2")
    with pytest.raises(DomainError):  # the province-wide budget is spent
        start(phone="0912000005", ip="198.51.100.3")
    assert Message.objects.filter(template_code="account.otp").count() == 3


def test_registration_page_counts_the_clients_address(client, settings):
    settings.LACHAN_RATE_LIMITS = {"accounts.code_sends.address": (1, 3600)}
    form = {"full_name": "Nguyễn Văn An", "birth_date": "1990-05-17", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/accounts/register/", {**form, "phone": "0912000011"}, REMOTE_ADDR="198.51.100.9").status_code == 302
    client.cookies.clear()
    response = client.post("/accounts/register/", {**form, "phone": "0912000012"}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 200 and "Too many attempts" in response.content.decode()
    assert client.post("/accounts/register/", {**form, "phone": "0912000013"}, REMOTE_ADDR="198.51.100.10").status_code == 302
