"""A list answer on the wire: ``{"items": [...], "pagination": {"after", "before", "totalResultSize"}}``."""

from __future__ import annotations

from typing import Generic, TypeVar

from quire.core.pagination import PaginationMeta
from quire.core.schemas import ApiModel

T = TypeVar("T")


class ListPage(ApiModel, Generic[T]):
    # Subclassed once per list, with no docstring: ``class TaxRatePage(ListPage[TaxRateRead])`` is served
    # in /openapi.json under the subclass's name, exactly as a class declaring both fields would be.
    items: list[T]
    pagination: PaginationMeta
