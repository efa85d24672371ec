"""Costly geometry (issue 12, item 12): a lockdown area of 200,000 corners was accepted and every visitor of the
public map downloaded 4.5 MB. Corners are limited where areas and boundaries come in; the map serves geometry
simplified for display, the stored geometry untouched."""

import json
import math

import pytest
from django.utils import timezone

from lachan.core.errors import DomainError
from lachan.geo.models import AdminUnit
from lachan.geo.services import admin_unit_boundaries_import
from lachan.risk.lockdowns import lockdown_area_create
from lachan.risk.models import LockdownArea

from .test_map import populated  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def circle(unit: AdminUnit, corners: int, radius: float = 0.004) -> dict:
    ring = [[unit.longitude + radius * math.cos(2 * math.pi * i / corners),
             unit.latitude + radius * math.sin(2 * math.pi * i / corners)] for i in range(corners)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_an_area_of_too_many_corners_is_refused_with_a_clear_error(populated, staff, client):  # noqa: F811
    """30,000 corners (1.3 MB of JSON): within Django's body limit (2.5 MB), over the platform's corner limit."""
    client.force_login(staff.epidemiologist)
    body = {"name": "Ấp 3", "starts_on": TODAY.isoformat(), "geometry": circle(populated.commune, 30_000)}
    response = client.post("/api/map/lockdowns", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "more than 20,000 corners" in response.json()["message"]
    assert not LockdownArea.objects.exists()
    body["geometry"] = circle(populated.commune, 200_000)  # 9 MB: over Django's body limit, said in the API's shape
    too_big = client.post("/api/map/lockdowns", json.dumps(body), content_type="application/json")
    assert too_big.status_code == 400 and too_big.json()["code"] == "bad_request"


def test_a_boundary_over_the_limit_is_refused(populated, settings):  # noqa: F811
    settings.LACHAN_BOUNDARY_MAX_VERTICES = 1_000
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": populated.commune.code}, "geometry": circle(populated.commune, 5_000)}]}
    with pytest.raises(DomainError) as caught:
        admin_unit_boundaries_import(tree="2021", data=json.dumps(doc).encode())
    assert "more than 1.000 corners" in str(caught.value.errors[0].message)


def test_the_public_map_serves_areas_and_boundaries_simplified_and_stores_them_whole(populated, staff, client):  # noqa: F811, E501
    """Sizes: an area of 15,000 corners (under the limit) is a few kB on the public map, not hundreds."""
    geometry = circle(populated.commune, 15_000)
    area = lockdown_area_create(name="Ấp 3", geometry=geometry, starts_on=TODAY, by=staff.epidemiologist)
    stored = LockdownArea.objects.get(pk=area.pk).geometry
    assert len(stored["coordinates"][0]) == 15_001  # untouched
    stored_bytes = len(json.dumps(stored, separators=(",", ":")))
    layer = client.get("/api/map/public/lockdowns")
    assert layer.status_code == 200
    assert stored_bytes > 300_000 and len(layer.content) < 10_000, (stored_bytes, len(layer.content))
    drawn = layer.json()["features"][0]["geometry"]["coordinates"][0]
    assert 12 < len(drawn) < 500  # still a circle: ~10 m from the stored line at most

    AdminUnit.objects.filter(pk=populated.commune.pk).update(boundary=circle(populated.commune, 10_000, 0.02))
    from lachan.situation.map_layers import GEOMETRY_CACHE
    GEOMETRY_CACHE.clear()
    communes = client.get("/api/map/public/risk", {"admin_level": 3})
    assert communes.status_code == 200 and len(communes.content) < 60_000, len(communes.content)
    assert len(AdminUnit.objects.get(pk=populated.commune.pk).boundary["coordinates"][0]) == 10_001
