"""From a domain's message (recipients, subject, text, HTML, attachments) to RFC 5322 bytes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr

# 7-bit transfer encodings (quoted-printable/base64) so any relay accepts the body; UTF-8 headers
# only when an address needs them (SMTPUTF8).
_ASCII = policy.SMTP.clone(cte_type="7bit")
_UTF8 = policy.SMTPUTF8.clone(cte_type="7bit")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Email:
    """What a domain hands to the outbox. ``sender_name`` is shown in From (e.g. the merchant)."""

    to: list[str]
    subject: str
    text: str
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    sender_name: str | None = None
    attachments: tuple[Attachment, ...] = ()


def one_line(text: str, limit: int = 250) -> str:
    """Header text: no line breaks or control characters (no header injection), bounded length."""
    flat = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def unique(addresses: Sequence[str], *, without: Sequence[str] = ()) -> list[str]:
    """Addresses in order, each once (case-insensitively), skipping those in ``without``."""
    seen = {a.casefold() for a in without}
    out = []
    for address in addresses:
        if address and address.casefold() not in seen:
            seen.add(address.casefold())
            out.append(address)
    return out


def sender_header(configured: str, display_name: str | None) -> tuple[str, str]:
    """(From header, envelope address) from ``QUIRE_MAIL_FROM`` and an optional display name."""
    name, address = parseaddr(configured)
    address = address or configured.strip()
    chosen = one_line(display_name) if display_name else name
    return (formataddr((chosen, address)) if chosen else address), address


def build(email: Email, *, from_header: str, sent_at: datetime) -> tuple[str, bytes]:
    """The message's ``Message-ID`` and its bytes: multipart/mixed of text + HTML alternatives and
    the attachments."""
    message = EmailMessage(policy=_policy([*email.to, *email.cc, email.reply_to or "", from_header]))
    _, from_address = parseaddr(from_header)
    domain = from_address.rpartition("@")[2] or "quire.localhost"
    message_id = make_msgid(domain=domain)
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at)
    message["From"] = from_header
    if email.to:
        message["To"] = ", ".join(email.to)
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = one_line(email.subject, 900)
    # A transactional message from a machine: no out-of-office replies to it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message_id, message.as_bytes()


def readdress(mime: bytes, from_header: str) -> bytes:
    """The same message with another From (an operator configured the sender after enqueueing)."""
    message = message_from_bytes(mime, _class=EmailMessage, policy=_UTF8)
    recipients = [str(message.get(name, "")) for name in ("To", "Cc", "Reply-To")]
    message.policy = _policy([*recipients, from_header])
    del message["From"]
    message["From"] = from_header
    return message.as_bytes()


def _policy(headers: Sequence[str]) -> policy.Policy:
    """UTF-8 headers (SMTPUTF8) only if an address itself is not ASCII; display names are encoded."""
    specs = [address for _, address in getaddresses([h for h in headers if h])]
    return _ASCII if all(spec.isascii() for spec in specs) else _UTF8


__all__ = ["Attachment", "Email", "build", "one_line", "readdress", "sender_header", "unique"]
