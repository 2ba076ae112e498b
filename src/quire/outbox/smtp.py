"""SMTP delivery with the standard library's ``smtplib``, run in a worker thread by the dispatcher.

``QUIRE_SMTP_URL`` names the server:

* ``smtp://[user[:password]@]host[:port]`` — plain SMTP, port 25 by default; ``?starttls=true``
  (or the scheme ``smtp+starttls://``, port 587) upgrades the connection with STARTTLS first;
* ``smtps://[user[:password]@]host[:port]`` — SMTP over TLS from the first byte, port 465.

User and password are percent-decoded (``%40`` for ``@``). TLS certificates are verified against the
system's trust store.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @property
    def display(self) -> str:
        """The server without its credentials, for logs and error messages."""
        scheme = "smtps" if self.implicit_tls else ("smtp+starttls" if self.starttls else "smtp")
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse ``QUIRE_SMTP_URL``; raises ``ValueError`` naming what is wrong (checked at start-up)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"QUIRE_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {scheme or '(none)'}://")
    if not parts.hostname:
        raise ValueError("QUIRE_SMTP_URL has no host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("QUIRE_SMTP_URL has an invalid port") from None
    query = parse_qs(parts.query)
    starttls = scheme == "smtp+starttls" or query.get("starttls", [""])[-1].lower() in _TRUE
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        implicit_tls=scheme == "smtps",
        starttls=starttls and scheme != "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class DeliveryFailed(Exception):
    """One attempt failed. ``permanent``: the server refused for good (5xx), so retrying is pointless."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {body}".strip()


def send(target: SmtpTarget, mime: bytes, *, sender: str, recipients: list[str], timeout: float) -> str | None:
    """Deliver ``mime`` to ``recipients`` (blocking). Returns a note about refused recipients when the
    server accepted only some of them; raises ``DeliveryFailed`` when nobody got the message."""
    international = not all(address.isascii() for address in [sender, *recipients])
    options = ["SMTPUTF8"] if international else []
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if target.implicit_tls:
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            client.ehlo_or_helo_if_needed()
            if target.starttls:
                client.starttls(context=context)
                client.ehlo()
            if target.username is not None:
                client.login(target.username, target.password or "")
            refused = client.sendmail(sender, recipients, mime, mail_options=options)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in exc.recipients.items())
        raise DeliveryFailed(f"All recipients refused: {detail}", permanent=all(code >= 500 for code in codes)) from None
    except smtplib.SMTPAuthenticationError as exc:
        # Credentials are configuration: keep retrying so a fixed configuration still delivers.
        raise DeliveryFailed(f"SMTP authentication failed at {target.display}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=False) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"{target.display} answered {_reply(exc.smtp_code, exc.smtp_error)}", permanent=exc.smtp_code >= 500) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryFailed(f"{target.display}: {exc}", permanent=True) from None
    except (OSError, smtplib.SMTPException) as exc:
        # Connection refused, time-outs, TLS failures, disconnects: all worth another attempt.
        raise DeliveryFailed(f"Could not deliver through {target.display}: {type(exc).__name__}: {exc}", permanent=False) from None
    if refused:
        return "Refused: " + "; ".join(f"{rcpt}: {_reply(code, text)}" for rcpt, (code, text) in refused.items())
    return None
