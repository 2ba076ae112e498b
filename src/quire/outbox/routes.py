"""The extension endpoints of a document's emails: list them with their delivery status, retry one.

``add_email_routes`` adds ``GET {path}/emails`` and ``POST {path}/emails/{emailId}/retry`` for one kind
of document (invoices, credit notes), scoped by account through the domain's own getter: another
account's document or email is 404. See docs/delivery.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quire.core.http import account_of, session_of
from quire.core.pagination import PageParams, page_params
from quire.outbox import service as outbox
from quire.outbox.models import OutboxEmail

Session = Annotated[AsyncSession, Depends(session_of)]
Account = Annotated[str, Depends(account_of)]
#: (session, account id, document id) → the document, or raise NotFound.
Getter = Callable[[AsyncSession, str, str], Awaitable[Any]]


def add_email_routes(
    router: APIRouter,
    *,
    path: str,
    operation: str,
    noun: str,
    subject_type: str,
    get: Getter,
    read: Callable[[OutboxEmail], BaseModel],
    read_model: type[BaseModel],
    page_model: type[BaseModel],
    tags: list[str],
) -> None:
    """``path`` is the document's route (``/invoices/{id}``), ``operation`` its part of the operation
    ids (``InvoicesById``), ``noun`` how summaries name it (``an invoice``)."""

    async def get_emails(id: str, session: Session, account: Account,
                         params: Annotated[PageParams, Depends(page_params)]) -> Any:
        document = await get(session, account, id)
        page = await outbox.list_emails(session, account, subject_type=subject_type, subject_id=document.id, params=params)
        return page_model(items=[read(row) for row in page.items], pagination=page.meta)

    async def retry_email(id: str, email_id: Annotated[str, Path(alias="emailId")], session: Session, account: Account) -> Any:
        document = await get(session, account, id)
        return read(await outbox.retry(session, account, subject_type=subject_type, subject_id=document.id, email_id=email_id))

    router.add_api_route(
        f"{path}/emails", get_emails, methods=["GET"], response_model=page_model, operation_id=f"get{operation}Emails",
        tags=tags, summary=f"The emails sent (or queued) for {noun}, with their delivery status",
    )
    router.add_api_route(
        f"{path}/emails/{{emailId}}/retry", retry_email, methods=["POST"], response_model=read_model,
        operation_id=f"post{operation}EmailsByEmailIdRetry", tags=tags,
        summary="Queue a FAILED, NOT_CONFIGURED or PENDING email for delivery now",
    )
