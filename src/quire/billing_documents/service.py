"""Document use-cases every kind shares: a new draft, merging an update body, a page of the list, deleting
a draft. Services flush; the route commits."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.billing_documents import repository as repo
from quire.billing_documents.kind import Kind
from quire.billing_documents.models import DocumentColumns
from quire.core import clock
from quire.core.errors import ValidationFailed
from quire.core.ids import uuid7
from quire.core.pagination import Page, PageParams
from quire.core.repository import Criterion, list_page, remove

D = TypeVar("D", bound=DocumentColumns)

#: Fields every document response carries: null is refused for them on update.
NOT_NULLABLE = frozenset({"customer_emails", "customer_legal_company_name", "customer_billing_address",
                          "customer_shipping_address", "metadata"})


def new_document(
    session: AsyncSession, kind: Kind[D, Any, Any], data: Any, *, account_id: str, customer_id: str, status: str,
    emails: Iterable[str], name: str, billing: Mapping[str, Any], shipping: Mapping[str, Any] | None = None,
    now: datetime | None = None, **columns: Any,
) -> D:
    """A new document of ``kind`` from a create body ``data``: no lines, zero totals, added to the session
    (the caller flushes). The recipient is what the body gives, else a snapshot of the fallbacks (the
    customer's, or the credited invoice's): ``emails``, ``name``, the ``billing`` address and the
    ``shipping`` one (the billing address when None). ``columns``: the kind's own."""
    now = now or clock.now()
    billing_address = _address(data.customer_billing_address, billing)
    shipping_address = _address(data.customer_shipping_address, billing_address if shipping is None else shipping)
    doc = kind.document(
        id=uuid7(), account_id=account_id, customer_id=customer_id, status=status, currency=data.currency,
        memo=data.memo, metadata_=[kv.model_dump() for kv in data.metadata or []],
        customer_emails=list(data.customer_emails if data.customer_emails is not None else emails),
        customer_legal_company_name=data.customer_legal_company_name or name,
        customer_billing_address=billing_address,
        customer_shipping_address=shipping_address,
        net_total_minor=0, total_tax_minor=0, gross_total_minor=0, next_line_index=0, next_group_index=0,
        created_at=now, updated_at=now, **columns,
    )
    session.add(doc)
    return doc


def _address(given: Any, fallback: Mapping[str, Any]) -> dict[str, Any]:
    return given.model_dump(exclude_none=True) if given is not None else dict(fallback)


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
    sort_by: str, columns: Sequence[Any] | None = None, split: tuple[Any, Sequence[Any]] | None = None,
) -> Page[Any]:
    """A page of the account's documents meeting every criterion (``None``: not asked for), by ``sort_by``;
    ``columns``: only those, as Core rows (what the kind's list prints), instead of ORM objects."""
    return await list_page(session, kind.document, account_id, params, *criteria, sort=kind.sorts[sort_by],
                           sort_name=sort_by, columns=columns, split=split)


async def delete_draft(session: AsyncSession, kind: Kind[Any, Any, Any], doc: DocumentColumns) -> Any:
    """Delete the document (its kind has checked it may be), its lines and groups; answer it as it was."""
    await repo.delete_lines_and_groups(session, kind, doc.id)
    return await remove(session, doc)
