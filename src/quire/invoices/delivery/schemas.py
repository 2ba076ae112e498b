"""Wire shapes of the delivery extension (not in Sequence's contract; camelCase like the rest)."""

from __future__ import annotations

from quire.core.pagination import PaginationMeta
from quire.core.schemas import ApiModel, Timestamp
from quire.outbox.models import OutboxEmail
from quire.outbox.schemas import EmailAttachment, EmailFields, email_fields

__all__ = ["EmailAttachment", "EmailPage", "EmailRead", "HostedLinkRead", "email_read"]


class EmailRead(EmailFields):
    invoice_id: str


class EmailPage(ApiModel):
    items: list[EmailRead]
    pagination: PaginationMeta


class HostedLinkRead(ApiModel):
    invoice_id: str
    url: str
    created_at: Timestamp
    rotated_at: Timestamp | None = None


def email_read(row: OutboxEmail) -> EmailRead:
    return EmailRead(invoice_id=row.subject_id, **email_fields(row))
