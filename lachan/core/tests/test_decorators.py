"""The one staff-page guard (core.decorators.staff_view), for every kind of visitor."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from lachan.core.decorators import staff_view
from lachan.core.errors import NotFound, PermissionDenied


def _user(*, citizen=False, perms=()):
    return SimpleNamespace(is_authenticated=True, is_citizen=citizen, has_perm_code=lambda perm: perm in perms)


def _get(view, user):
    request = RequestFactory().get("/page/")
    request.user = user
    return view(request)


def plain(request):
    return HttpResponse("ok")


page = staff_view("cases.view")(plain)


def test_staff_with_the_permission_see_the_page():
    assert _get(page, _user(perms={"cases.view"})).content == b"ok"


def test_anonymous_visitors_are_sent_to_log_in():
    response = _get(page, AnonymousUser())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_without_the_permission_are_refused():
    with pytest.raises(DjangoPermissionDenied):
        _get(page, _user(perms={"people.view"}))


def test_any_staff_member_when_no_permission_is_named():
    assert _get(staff_view()(plain), _user()).content == b"ok"


@pytest.mark.parametrize(("citizens", "outcome"), [("forbidden", DjangoPermissionDenied), ("not_found", Http404)])
def test_citizens_are_refused_or_not_told(citizens, outcome):
    with pytest.raises(outcome):
        _get(staff_view("cases.view", citizens=citizens)(plain), _user(citizen=True, perms={"cases.view"}))


def test_citizens_sent_to_their_own_page():
    response = _get(staff_view("cases.view", citizens="people:mine")(plain), _user(citizen=True))
    assert response.status_code == 302 and response["Location"].startswith("/")


@pytest.mark.parametrize(("error", "outcome"), [(NotFound, Http404), (PermissionDenied, DjangoPermissionDenied)])
def test_domain_errors_become_http_answers(error, outcome):
    @staff_view("cases.view")
    def failing(request):
        raise error("x", "No.")

    with pytest.raises(outcome):
        _get(failing, _user(perms={"cases.view"}))
