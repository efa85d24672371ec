"""ListedChoiceIterator: the same options as Django's, read in one plain query (no server-side cursor)."""

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lachan.core.forms import ListedChoiceIterator
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit

pytestmark = pytest.mark.django_db


class PlainUnitField(UnitChoiceField):
    iterator = forms.models.ModelChoiceIterator


@pytest.mark.parametrize("empty_label", ["—", None])
def test_the_options_are_djangos(units, empty_label):
    queryset = AdminUnit.objects.filter(path__startswith=units.province.path).select_related("parent").order_by("path")
    listed = UnitChoiceField(queryset=queryset, empty_label=empty_label, required=empty_label is None)
    plain = PlainUnitField(queryset=queryset, empty_label=empty_label, required=empty_label is None)
    assert UnitChoiceField.iterator is ListedChoiceIterator
    assert [(str(v), label) for v, label in listed.choices] == [(str(v), label) for v, label in plain.choices]
    assert len([c for c in listed.choices]) == queryset.count() + (empty_label is not None) > 3
    with CaptureQueriesContext(connection) as captured:
        html = listed.widget.render("commune", units.commune.pk)
    assert f'<option value="{units.commune.pk}" selected>{units.commune.label}</option>' in html
    assert len(captured.captured_queries) == 1 and "DECLARE" not in captured.captured_queries[0]["sql"]


def test_unit_labels_read_as_values_are_the_instances_labels(units):
    field = UnitChoiceField(queryset=AdminUnit.objects.select_related("parent").order_by("path"), empty_label=None)
    listed = [(v.value, label) for v, label in field.choices]
    assert listed == [(u.pk, u.label) for u in AdminUnit.objects.select_related("parent").order_by("path")]
    assert any(", " in label for _pk, label in listed)  # communes named with their district


def test_cluster_labels_read_as_values_are_the_instances_labels(units):
    from datetime import date

    from lachan.cases.models import Cluster
    from lachan.tracing.forms import ClusterChoiceField

    Cluster.objects.create(name="Chợ Mỹ Tho", kind="venue", commune=units.commune, opened_on=date(2021, 8, 1))
    Cluster.objects.create(name="Không rõ", kind="unknown", commune=None, opened_on=date(2021, 8, 2))
    Cluster.objects.create(name="Huyện", kind="community", commune=units.district, opened_on=date(2021, 8, 3))
    queryset = Cluster.objects.select_related("commune__parent").order_by("-opened_on", "name")
    field = ClusterChoiceField(queryset=queryset, empty_label="all", required=False)
    assert [(str(v), label) for v, label in field.choices] == [("", "all"), *(
        (str(c.pk), field.label_from_instance(c)) for c in queryset)]
