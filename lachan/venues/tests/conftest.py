import pytest

from lachan.accounts.roles import Role


@pytest.fixture
def owner(make_user):
    return make_user(Role.VENUE_OWNER, username="owner")


@pytest.fixture
def venue(units, owner):
    from lachan.venues.services import venue_register

    return venue_register(by=owner, name="Quán cà phê Gió", kind="cafe", size="small", address="12 Lê Lợi",
                          commune=units.commune)


@pytest.fixture
def person(units):
    from lachan.people.models import Person

    return Person.objects.create(full_name="Nguyễn Văn An", search_name="nguyen van an", search_name_rev="an van nguyen",
                                 birth_year=1980, phone="0912345678", commune=units.commune)
