"""Issue 12 item 20: a commune is named without ambiguity ("Phường 1, TP. Mỹ Tho": three towns of Tiền Giang have a
Phường 1) wherever it is shown: str(unit), every unit picker, rows read as values."""

import pytest

from lachan.geo.forms import UnitChoiceField, unit_choices
from lachan.geo.models import AdminUnit
from lachan.geo.selectors import unit_labels

pytestmark = pytest.mark.django_db


def test_same_name_communes_are_named_with_their_district(units):
    wards = AdminUnit.objects.filter(tree="2021", level=3, name="Phường 1").select_related("parent")
    labels = sorted(str(ward) for ward in wards)
    assert labels == ["Phường 1, TP. Gò Công", "Phường 1, TP. Mỹ Tho", "Phường 1, TX. Cai Lậy"]
    assert units.district.label == "Thành phố Mỹ Tho" and units.province.label == "Tỉnh Tiền Giang"
    assert unit_labels([w.pk for w in wards] + [None]) == {w.pk: w.label for w in wards}


def test_every_unit_picker_shows_the_label_and_is_searchable(units):
    wards = AdminUnit.objects.filter(tree="2021", level=3, name="Phường 1").select_related("parent")
    field = UnitChoiceField(queryset=wards)
    html = field.widget.render("commune", None, attrs={"id": "id_commune"})
    assert "data-searchable" in html and "Phường 1, TX. Cai Lậy" in html
    assert [label for _code, label in unit_choices(wards)][1:] == [w.label for w in wards]


def test_the_pickers_prompt_is_in_the_readers_language(db):
    from django.utils import translation

    field = UnitChoiceField(queryset=AdminUnit.objects.none())
    with translation.override("vi"):
        assert 'data-searchable="Gõ tên để tìm"' in field.widget.render("unit", None)


def test_every_unit_named_in_the_api_has_its_label_beside(client):
    """Every schema of the API that gives a unit's official name (`commune_name`, `unit_name`, `district_name`)
    gives its unambiguous label beside it, documented the one way (lachan.geo.api.UNIT_LABEL)."""
    from lachan.geo.api import UNIT_LABEL

    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    named = [(name, field) for name, schema in schemas.items() for field in schema.get("properties", {})
             if field in ("commune_name", "unit_name", "district_name")]
    assert len(named) >= 12
    for name, field in named:
        label = schemas[name]["properties"].get(field.replace("_name", "_label"))
        assert label is not None, f"{name}.{field} has no label beside it"
        assert label["description"].startswith(UNIT_LABEL), name
    assert schemas["UnitOut"]["properties"]["label"]["description"] == UNIT_LABEL


def test_a_unit_is_addressed_with_every_unit_above_it(wards, units):
    assert wards.go_cong.address_label == "Phường 1, TP. Gò Công, Tỉnh Tiền Giang"
    assert units.district.address_label == "Thành phố Mỹ Tho, Tỉnh Tiền Giang"
    assert units.province.address_label == "Tỉnh Tiền Giang"
