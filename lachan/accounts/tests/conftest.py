import pytest

PASSWORD = "Lachan!2021pw"


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    # django-otp delays the next try after a wrong code; tests try wrong then right at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def places(units):
    from types import SimpleNamespace

    from lachan.geo.models import Place

    def make(kind):
        return Place.objects.create(kind=kind, name=f"Test {kind}", commune=units.commune)

    return SimpleNamespace(
        laboratory=make("laboratory"), enterprise=make("enterprise"), checkpoint=make("checkpoint"),
        venue=make("venue"), hospital=make("hospital"),
    )


@pytest.fixture
def totp_code():
    """The current code of a device, or the next one (a code is accepted once)."""
    from django_otp.oath import totp

    def code(device, drift=0):
        return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"

    return code


@pytest.fixture
def login(client):
    def do(username, password=PASSWORD, **extra):
        return client.post("/accounts/login/", {"username": username, "password": password, **extra})

    return do
