from ninja import Router, Schema

from . import selectors

router = Router(tags=["administrative units"])


class UnitOut(Schema):
    tree: str
    level: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_code: str | None
    latitude: float | None
    longitude: float | None
    population: int | None
    has_boundary: bool

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_has_boundary(obj):
        return obj.boundary is not None


@router.get("/units", response=list[UnitOut], summary="Administrative units of a tree")
def list_units(request, tree: str | None = None, parent: str | None = None, level: int | None = None, q: str = ""):
    return list(selectors.unit_list(tree=tree, parent_code=parent, level=level, query=q).select_related("parent")[:5000])


@router.get("/units/{code}", response=UnitOut, summary="One administrative unit by official code")
def get_unit(request, code: str, tree: str | None = None):
    return selectors.unit_get(tree=tree, code=code)
