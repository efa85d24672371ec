from datetime import date, timedelta

from django.utils import timezone

from lachan.accounts.models import PhoneVerification
from lachan.accounts.roles import Role
from lachan.accounts.services import phone_verifications_prune
from lachan.accounts.signals import citizen_registered
from lachan.core.scheduler import registered_jobs
from lachan.people.models import Person


def _register(make_user, phone="0912345678", name="Nguyễn Văn An", born=date(1990, 5, 1)):
    user = make_user(Role.CITIZEN, username=phone, phone=phone)
    citizen_registered.send(sender=type(user), user=user, full_name=name, birth_date=born)
    return user


def test_new_citizen_account_is_linked_to_their_record(make_person, make_user):
    person = make_person("Nguyễn Văn An", phone="0912345678", birth_date=date(1990, 5, 1))
    make_person("Nguyễn Thị Lan", phone="0912345678", birth_date=date(1962, 1, 1))  # mother, same phone
    user = _register(make_user, name="nguyen van an")
    person.refresh_from_db()
    assert person.account == user


def test_no_link_when_birth_date_or_name_differ_or_ambiguous(make_person, make_user):
    other = make_person("Trần Văn Bảy", phone="0912345678", birth_date=date(1990, 5, 1))
    _register(make_user)  # same phone and date, another name
    other.refresh_from_db()
    assert other.account is None
    twin_a = make_person("Lê Văn Nam", phone="0987654321", birth_date=date(2001, 2, 3))
    twin_b = make_person("Lê Văn Nam", phone="0987654321", birth_date=date(2001, 2, 3))
    _register(make_user, phone="0987654321", name="Lê Văn Nam", born=date(2001, 2, 3))
    assert not Person.objects.filter(pk__in=[twin_a.pk, twin_b.pk], account__isnull=False).exists()


def test_nightly_jobs_are_registered_and_pruning_keeps_recent_codes(db):
    names = {job.name for job in registered_jobs()}
    assert {"people.find_duplicates", "accounts.prune_phone_verifications", "notifications.send_due"} <= names
    now = timezone.now()
    for age in (0, 1, 3, 10):
        PhoneVerification.objects.create(
            phone="0912345678", full_name="A", birth_date=date(1990, 1, 1), password_hash="x", code_hash="y",
            created_at=now - timedelta(days=age), expires_at=now - timedelta(days=age) + timedelta(minutes=10),
        )
    assert phone_verifications_prune() == 2
    assert PhoneVerification.objects.count() == 2
