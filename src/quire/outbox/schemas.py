"""Wire shape of an outbox message (Quire extension; camelCase like the rest). Each domain names its
own model after it, adding the id of what the message is about (``invoiceId``, ``creditNoteId``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from quire.core.schemas import ApiModel, Timestamp, row_values
from quire.outbox.models import OutboxEmail


class EmailAttachment(ApiModel):
    filename: str
    content_type: str
    size: int


class EmailFields(ApiModel):
    id: str
    status: str = Field(description="PENDING, SENDING, SENT, FAILED, NOT_CONFIGURED or SUPPRESSED")
    from_: str = Field(alias="from")
    reply_to: str | None = None
    to: list[str]
    cc: list[str]
    subject: str
    message_id: str
    attachments: list[EmailAttachment]
    attempts: int
    max_attempts: int
    last_attempt_at: Timestamp | None = None
    next_attempt_at: Timestamp | None = None
    last_error: str | None = None
    sent_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


def email_fields(row: OutboxEmail) -> dict[str, Any]:
    """The ``EmailFields`` of a row, as keyword arguments."""
    return row_values(EmailFields, row, from_=row.from_address, to=row.to_addresses, cc=row.cc_addresses)
