"""References: ids (and aliases) that a request names in its body or query string.

Only the object named by the URL path answers 404 (``GET /invoices/{id}``, and the parent of a nested
path such as ``/invoices/{invoice}/line-items``). An id read from the body or the query that names
nothing of the caller's account (unknown, or another account's) is bad input: 400 ``ValidationError``
naming the field (``customerId``, ``priceIds[1]``, ``customerAliases``), as Sequence's contract declares
only 400 for these operations (issue 12, docs/errors.md#references).

Services keep one loader per object, "the account's X by id, or 404" (``get_customer``, ``get_invoice``,
…, made with ``core.repository.loader``); a reference is that loader wrapped here, so the rule lives in
one place:

    customer = await resolve("customerId", get_customer(session, account_id, data.customer_id))
    with reference("customerId"):
        customer = billable(row, data.customer_id)      # a synchronous check that may raise NotFound
"""

from __future__ import annotations

from collections.abc import Awaitable, Container, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from quire.core.errors import NotFound, ValidationFailed

T = TypeVar("T")


def unknown_reference(field: str, message: str) -> ValidationFailed:
    """400 ``ValidationError`` naming ``field``: "<field>: <message>", like the schema errors."""
    return ValidationFailed(f"{field}: {message}", fields=[{"field": field, "message": message}])


@contextmanager
def reference(field: str) -> Iterator[None]:
    """Inside, a ``NotFound`` is about ``field`` of the request, not about its URL: re-raise it as 400."""
    try:
        yield
    except NotFound as exc:
        raise unknown_reference(field, exc.message) from None


async def resolve(field: str, load: Awaitable[T]) -> T:
    """Await a "by id, or 404" loader for a reference named by ``field``: its object, or 400 naming it."""
    with reference(field):
        return await load


def check_all(field: str, ids: Iterable[str], known: Container[str], kind: str) -> None:
    """Every id of the list ``field`` must be in ``known``; else one 400 naming each bad item
    (``priceIds[1]``, ``priceIds[3]``)."""
    missing = [(i, value) for i, value in enumerate(ids) if value not in known]
    if not missing:
        return
    fields = [{"field": f"{field}[{i}]", "message": f"{kind} {value!r} was not found"} for i, value in missing]
    listed = ", ".join(value for _, value in missing)
    raise ValidationFailed(f"{field}: invalid provided {kind.lower()} ids: [{listed}]", fields=fields)
