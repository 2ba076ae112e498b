"""The outbox's pure parts: SMTP URLs, backoff, header safety, message structure. No server."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from quire.config import Settings, settings_from_env
from quire.outbox.compose import Attachment, Email, build, one_line, readdress, sender_header, unique
from quire.outbox.dispatcher import backoff
from quire.outbox.smtp import parse_smtp_url


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.example:2525")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls, plain.username) == ("mail.example", 2525, False, False, None)
    assert parse_smtp_url("smtp://mail.example").port == 25
    tls = parse_smtp_url("smtps://user%40example.com:p%40ss%2Fword@smtp.example")
    assert (tls.port, tls.implicit_tls, tls.username, tls.password) == (465, True, "user@example.com", "p@ss/word")
    assert "p@ss" not in tls.display and tls.display == "smtps://smtp.example:465"
    upgraded = parse_smtp_url("smtp+starttls://u:p@smtp.example")
    assert (upgraded.port, upgraded.starttls) == (587, True)
    assert parse_smtp_url("smtp://smtp.example:587?starttls=true").starttls
    for bad in ("http://x", "smtp://", "smtp://host:99999", "mail.example:25"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)


def test_mail_settings_from_env() -> None:
    settings = settings_from_env({"QUIRE_SMTP_URL": "smtps://h", "QUIRE_MAIL_FROM": "Billing <b@x.example>",
                                  "QUIRE_MAIL_REPLY_TO": "r@x.example", "QUIRE_MAIL_MAX_ATTEMPTS": "4",
                                  "QUIRE_MAIL_RETRY_BASE_SECONDS": "0.5"})
    assert (settings.smtp_url, settings.mail_from, settings.mail_reply_to) == ("smtps://h", "Billing <b@x.example>", "r@x.example")
    assert (settings.mail_max_attempts, settings.mail_retry_base_seconds) == (4, 0.5)
    defaults = settings_from_env({"QUIRE_SMTP_URL": ""})
    assert defaults.smtp_url is None and defaults.mail_reply_to is None and defaults.mail_from == Settings.mail_from


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = Settings(mail_retry_base_seconds=30, mail_retry_max_seconds=3600)
    assert [backoff(n, settings) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_headers_cannot_be_injected_and_addresses_are_unique() -> None:
    assert one_line("Invoice 1\r\nBcc: victim@example.com") == "Invoice 1 Bcc: victim@example.com"
    assert len(one_line("x" * 1000)) == 250
    assert unique(["A@x.example", "a@x.example", "b@x.example"], without=["B@x.example"]) == ["A@x.example"]
    assert sender_header("Quire <q@x.example>", None) == ("Quire <q@x.example>", "q@x.example")
    assert sender_header("q@x.example", 'Acme "Widgets", Ltd') == ('"Acme \\"Widgets\\", Ltd" <q@x.example>', "q@x.example")


def test_message_structure_and_readdressing() -> None:
    email = Email(to=["a@x.example"], cc=["m@y.example"], subject="Invoice £1\nBcc: z@z.example", text="Hello £1",
                  html="<p>Hello £1</p>", reply_to="m@y.example", sender_name="Café Ltd",
                  attachments=(Attachment("INV1.pdf", "application/pdf", b"%PDF-1.7 fake"),))
    header, _ = sender_header("quire@localhost", email.sender_name)
    message_id, mime = build(email, from_header=header, sent_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert mime.isascii()  # 7-bit: quoted-printable/base64 bodies, encoded-word headers
    parsed = message_from_bytes(mime, _class=EmailMessage, policy=policy.default)
    assert parsed["Message-ID"] == message_id and parsed["Subject"] == "Invoice £1 Bcc: z@z.example"
    assert parsed["Bcc"] is None and parsed["From"] == "Café Ltd <quire@localhost>"
    assert parsed.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    moved = message_from_bytes(readdress(mime, "Café Ltd <billing@quire.example>"), _class=EmailMessage, policy=policy.default)
    assert moved["From"] == "Café Ltd <billing@quire.example>" and moved["Message-ID"] == message_id
    assert moved.get_body(("plain",)).get_content().strip() == "Hello £1"  # type: ignore[union-attr]
