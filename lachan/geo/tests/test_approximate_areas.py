"""Issue 12 item 24: without an official boundary file the demo's communes were dots; they get approximate areas
(the Voronoi cell around each centre, clipped to the province's outline), marked approximate, never taken for
borders by the risk rules, and replaced by an official import."""

import json

import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from lachan.geo.models import AdminLevel, AdminUnit
from lachan.geo.services import admin_unit_boundaries_approximate, admin_unit_boundaries_import

pytestmark = pytest.mark.django_db


def test_each_commune_gets_an_approximate_area_around_its_centre(units):
    communes = AdminUnit.objects.filter(level=AdminLevel.COMMUNE, path__startswith=units.province.path + "/")
    assert not communes.filter(boundary__isnull=False).exists()
    drawn = admin_unit_boundaries_approximate(unit=units.province)
    located = communes.exclude(latitude=None)
    assert drawn == located.count() > 100
    cells = {c.code: shape(c.boundary) for c in located}
    assert all(c.boundary_approximate for c in located)
    for commune in located:  # each holds its own centre and no other's
        assert cells[commune.code].covers(Point(commune.longitude, commune.latitude))
    total = sum(cell.area for cell in cells.values())
    # Hardly any overlap (communes given the same centre share a cell).
    assert abs(unary_union(list(cells.values())).area - total) < total * 0.01
    assert admin_unit_boundaries_approximate(unit=units.province) == 0  # nothing missing any more

    # An official boundary replaces the approximate area; the risk rules read only official ones.
    from lachan.risk.levels.services import _boundaries

    c = units.commune
    ring = [[c.longitude - 0.01, c.latitude - 0.01], [c.longitude + 0.01, c.latitude - 0.01],
            [c.longitude + 0.01, c.latitude + 0.01], [c.longitude - 0.01, c.latitude + 0.01]]
    official = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": c.code},
                                                       "geometry": official}]}
    admin_unit_boundaries_import(tree=c.tree, data=json.dumps(data).encode())
    c.refresh_from_db()
    assert (c.boundary, c.boundary_approximate) == (official, False)
    assert set(_boundaries([u.pk for u in located])) == {c.pk}
