from ninja import Field, Router, Schema

from . import selectors

router = Router(tags=["administrative units"])

# The one description of every `*_label` field of the API, beside the official `*_name` kept for matching.
UNIT_LABEL = ('the unit named without ambiguity, for display: a commune of the 2021 tree with its district '
              '("Phường 1, TP. Mỹ Tho": three towns have a Phường 1); other units by their name')


class UnitOut(Schema):
    tree: str
    level: int
    code: str
    name: str
    label: str = Field(..., description=UNIT_LABEL)
    short_name: str
    kind: str
    parent_code: str | None = Field(None, alias="parent.code")
    latitude: float | None
    longitude: float | None
    population: int | None
    has_boundary: bool

    @staticmethod
    def resolve_has_boundary(obj):
        return obj.boundary is not None


@router.get("/units", response=list[UnitOut], summary="Administrative units of a tree")
def list_units(request, tree: str | None = None, parent: str | None = None, level: int | None = None, q: str = ""):
    return list(selectors.unit_list(tree=tree, parent_code=parent, level=level, query=q).select_related("parent")[:5000])


@router.get("/units/{code}", response=UnitOut, summary="One administrative unit by official code")
def get_unit(request, code: str, tree: str | None = None):
    return selectors.unit_get(tree=tree, code=code)
