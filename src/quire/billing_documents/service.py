"""Document use-cases every kind shares: merging an update body, a page of the list, deleting a draft.
Services flush; the route commits."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import repository as repo
from quire.billing_documents.kind import Kind
from quire.billing_documents.models import DocumentColumns
from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.pagination import Page, PageParams
from quire.core.repository import Criterion, list_page, remove

D = TypeVar("D", bound=DocumentColumns)

#: Fields every document response carries: null is refused for them on update.
NOT_NULLABLE = frozenset({"customer_emails", "customer_legal_company_name", "customer_billing_address",
                          "customer_shipping_address", "metadata"})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def merge(doc: DocumentColumns, data: BaseModel, *, not_nullable: Collection[str] = NOT_NULLABLE,
          own: Collection[str] = ()) -> None:
    """PUT and PATCH are merges: each field the body gives replaces the stored one (explicit null clears
    an optional one); addresses, metadata and lists are stored as plain JSON; the time of the change is
    stamped. The fields ``own`` are stored otherwise (an invoice's ``billing_period``): the kind's to apply."""
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in not_nullable:
            raise ValidationFailed(f"{camel(name)} cannot be null", field=camel(name))
        if name in own:
            continue
        if name in ("customer_billing_address", "customer_shipping_address"):
            setattr(doc, name, value.model_dump(exclude_none=True))
        elif name == "metadata":
            doc.metadata_ = [kv.model_dump() for kv in value]
        elif isinstance(value, list):
            setattr(doc, name, list(value))
        else:
            setattr(doc, name, value)
    doc.updated_at = clock.now()


async def list_documents(
    session: AsyncSession, kind: Kind[D, Any, Any], account_id: str, params: PageParams, criteria: Iterable[Criterion],
    sort_by: str,
) -> Page[D]:
    """A page of the account's documents meeting every criterion (``None``: not asked for), by ``sort_by``."""
    return await list_page(session, kind.document, account_id, params, *criteria, sort=kind.sorts[sort_by],
                           sort_name=sort_by)


async def delete_draft(session: AsyncSession, kind: Kind[Any, Any, Any], doc: DocumentColumns) -> Any:
    """Delete the document (its kind has checked it may be), its lines and groups; answer it as it was."""
    await repo.delete_lines_and_groups(session, kind, doc.id)
    return await remove(session, doc)
