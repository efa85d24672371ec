"""Property-based tests of the whole API from its own OpenAPI document (schemathesis): whatever a
client sends, the answer is never a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from lachan.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handler closes the database
    connection, and with it the test's transaction; Django's own test client detaches it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(staff, units, keep_connection):
    from lachan.accounts.models import ApiToken
    from lachan.people.models import Person

    Person.objects.create(full_name="Nguyễn Văn An", commune=units.commune, sex="M", phone="0912345678")
    raw = ApiToken.generate()
    ApiToken.objects.create(user=staff.district, name="fuzz", prefix=raw[:8], key_hash=ApiToken.hash(raw))
    return raw


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=[not_a_server_error])
