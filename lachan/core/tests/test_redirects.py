"""`next` is followed only to a path of this site (lachan.core.redirects.next_url), on every route reading it."""

import pytest
from django.test import RequestFactory

from lachan.core.redirects import next_url

OUTSIDE = ["//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
           " //evil.example", "http:/evil.example", "///evil.example"]


@pytest.mark.parametrize("target", OUTSIDE)
def test_a_next_outside_the_site_falls_back(target):
    request = RequestFactory().post("/x/", {"next": target})
    assert next_url(request, "/home/") == "/home/"


def test_a_next_inside_the_site_is_followed():
    request = RequestFactory().post("/x/", {"next": "/tracing/calls/?page=2"})
    assert next_url(request, "/home/") == "/tracing/calls/?page=2"
    assert next_url(RequestFactory().get("/x/"), "geo:units") == "/units/"
