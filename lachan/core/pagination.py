"""Pages without COUNT(*): fetch one row more than shown to know whether another page follows."""

from __future__ import annotations

from dataclasses import dataclass

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 2000  # deep offsets are slow and nobody reads page 2000: refine the search instead


@dataclass
class Page:
    items: list
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


def page_number(page, *, max_page: int = MAX_PAGE) -> int:
    try:
        return max(1, min(int(page or 1), max_page))
    except (TypeError, ValueError):
        return 1


def page_of(queryset, *, page=1, size: int = 50) -> Page:
    """One page of any sliceable queryset; objects with their own `page(number=, size=)` paginate themselves."""
    number = page_number(page)
    size = max(1, min(int(size), 200))
    if hasattr(queryset, "page") and callable(queryset.page):
        return queryset.page(number=number, size=size)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)


class ApiPages(PageNumberPagination):
    """django-ninja's page-number pagination with the page clamped to [1, MAX_PAGE], as page_of does: a page
    beyond the last one is an empty page, never an offset the database cannot hold (SQLite: 64 bits)."""

    class Input(Schema):
        page: int = Field(1, description=f"1 to {MAX_PAGE}; beyond, the last page that can be asked for")
        page_size: int | None = Field(None, ge=1)

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        pagination.page = page_number(pagination.page)
        return super().paginate_queryset(queryset, pagination, request, **params)
