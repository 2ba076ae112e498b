"""``Kind``: how one kind of billing document (invoice, credit note) plugs into the core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from quire.billing_documents.models import DocumentColumns, GroupColumns, LineColumns

D = TypeVar("D", bound=DocumentColumns)
L = TypeVar("L", bound=LineColumns)
G = TypeVar("G", bound=GroupColumns)


@dataclass(frozen=True, eq=False)
class Kind(Generic[D, L, G]):
    """A kind's tables, names and list sorts, and the one rule the core asks it: may this document be edited."""

    document: type[D]
    line: type[L]
    group: type[G]
    #: How messages name a document: "an invoice" ("An invoice holds at most …", "… of this invoice").
    a_noun: str
    #: The names in a 404 of a line or a group ("LineItem", "CreditNoteLineItem").
    line_name: str
    group_name: str
    #: Raise ``InvalidStateTransition`` unless the document may be edited (its lines and groups written).
    check_editable: Callable[[D], Any]
    #: The columns the list sorts by, per ``sortBy`` value (then by id).
    sorts: Mapping[str, Any]
    #: Keep the document's ``has_quantity`` (any line with a non-zero quantity) after each line write.
    counts_quantity: bool = False

    @property
    def noun(self) -> str:
        return self.a_noun.split(" ", 1)[1]
