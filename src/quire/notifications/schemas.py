"""Wire shapes of the Notification Policies operations (2024-01-01), and the recipients' rules.

A recipient is checked against the policy's channel (a service rule, since it depends on ``channel``):
an ``http``/``https`` URL with a host for ``WEBHOOK``, an email address for ``EMAIL``.
"""

from __future__ import annotations


from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, StrictStr

from quire.core.contract_enums import NOTIFICATION_CHANNEL, NOTIFICATION_TYPE
from quire.core.pages import ListPage
from quire.core.schemas import AccountObject, NoNul, RequestModel, RequiredText, Timestamp, _check_email, strict_str
from quire.notifications.models import NotificationPolicy

NotificationTypeName = Literal[NOTIFICATION_TYPE]  # type: ignore[valid-type]
ChannelName = Literal[NOTIFICATION_CHANNEL]  # type: ignore[valid-type]

MAX_RECIPIENTS = 50
MAX_URL = 2048
Recipient = Annotated[str, BeforeValidator(strict_str), Field(min_length=1, max_length=MAX_URL), NoNul]
Secret = Annotated[StrictStr, Field(min_length=16, max_length=255, pattern=r"^[\x21-\x7e]+$")]


class PolicyCreate(RequestModel):
    name: Annotated[RequiredText, NoNul]
    notification_types: list[NotificationTypeName] | None = None
    recipients: Annotated[list[Recipient], Field(min_length=1, max_length=MAX_RECIPIENTS)]
    channel: ChannelName
    webhook_secret: Secret | None = None


class TypesAdd(RequestModel):
    notification_types: Annotated[list[NotificationTypeName], Field(min_length=1)]


class RecipientsAdd(RequestModel):
    recipients: Annotated[list[Recipient], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class PolicyRead(AccountObject):
    """The contract's ``NotificationPolicy`` (``notificationTypes`` absent: every type)."""

    created_at: Timestamp
    name: str
    notification_types: list[NotificationTypeName] | None = None
    recipients: list[str]
    channel: ChannelName
    webhook_secret: str | None = None


class PolicyPage(ListPage[PolicyRead]):
    pass


def present_policy(policy: NotificationPolicy) -> PolicyRead:
    return PolicyRead.of_row(policy)


def recipient_problem(channel: str, recipient: str) -> str | None:
    """Why ``recipient`` cannot receive notifications of ``channel``, or None."""
    if channel == "EMAIL":
        try:
            _check_email(recipient)
        except ValueError as exc:
            return f"{recipient!r} {exc}"
        return None
    if any(c.isspace() for c in recipient):
        return f"{recipient!r} is not a webhook URL (it contains white space)"
    try:
        parts = urlsplit(recipient)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        return f"{recipient!r} is not a webhook URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{recipient!r} is not a webhook URL: an absolute http:// or https:// URL is needed"
    if parts.fragment:
        return f"{recipient!r} is not a webhook URL: it has a #fragment"
    return None



