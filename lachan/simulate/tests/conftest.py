import pytest


@pytest.fixture
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def generate(units):
    """Generate a small synthetic Tiền Giang (2021 tree) into the test database."""
    from lachan.simulate.province import province_generate

    def run(people=2000, seed=11, tree="2021", province_code="82", **kwargs):
        return province_generate(people=people, seed=seed, tree=tree, province_code=province_code, **kwargs)

    return run
