"""Settings read from the environment, once.

Every setting has a default that works on a laptop: an embedded SQLite file in the working
directory. Production points ``QUIRE_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache


def _normalise_url(url: str) -> str:
    """Map the plain URLs users write onto the async drivers Quire runs on."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://") :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./quire.db"
    # Signs pagination cursors so a tampered cursor is refused (400), not misread.
    secret_key: str = "quire-dev-secret-change-me"
    # Largest request body accepted, in bytes (issue 2: 1 MiB).
    max_body_bytes: int = 1024 * 1024
    # How long an Idempotency-Key is remembered (at least 24 h, per docs/idempotency.md).
    idempotency_ttl_hours: int = 24
    # Base of the hosted invoice pages (/i/{token}) and of the links in emails.
    public_url: str = "http://127.0.0.1:8000"
    # Email delivery (docs/delivery.md). No SMTP URL: messages stay in the outbox as NOT_CONFIGURED.
    smtp_url: str | None = None
    mail_from: str = "Quire <quire@localhost>"
    mail_reply_to: str | None = None
    smtp_timeout_seconds: float = 30.0
    # Delivery attempts per message, and the exponential backoff between them (base * 2^n, capped).
    mail_max_attempts: int = 8
    mail_retry_base_seconds: float = 30.0
    mail_retry_max_seconds: float = 3600.0
    # FastAPI's native OpenTelemetry (spans, metrics, logs through globally configured providers).
    # Off by default: when off it costs nothing per request; when on, FastAPI checks the global
    # providers on every request (~3% of the CPU of POST /usage-events, docs/performance.md).
    opentelemetry: bool = False
    # Schedules a billing run reads, plans and writes per transaction (docs/billing-engine.md#scale).
    billing_batch_size: int = 500
    # Webhook delivery (docs/webhooks.md#retries): per-request timeout, exponential backoff between attempts
    # (base * 2^n, capped, with jitter), and how long a delivery is retried before it is DEAD.
    webhook_timeout_seconds: float = 10.0
    webhook_retry_base_seconds: float = 10.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_retry_window_seconds: float = 86400.0
    # Lists count totalResultSize on their first page up to this many rows, and leave it out above
    # (docs/pagination.md#totalresultsize).
    list_count_cap: int = 10_000
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def async_database_url(self) -> str:
        return _normalise_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    return Settings(
        database_url=env.get("QUIRE_DATABASE_URL", Settings.database_url),
        secret_key=env.get("QUIRE_SECRET_KEY", Settings.secret_key),
        max_body_bytes=int(env.get("QUIRE_MAX_BODY_BYTES", Settings.max_body_bytes)),
        idempotency_ttl_hours=int(env.get("QUIRE_IDEMPOTENCY_TTL_HOURS", Settings.idempotency_ttl_hours)),
        public_url=env.get("QUIRE_PUBLIC_URL", Settings.public_url),
        smtp_url=env.get("QUIRE_SMTP_URL") or None,
        mail_from=env.get("QUIRE_MAIL_FROM") or Settings.mail_from,
        mail_reply_to=env.get("QUIRE_MAIL_REPLY_TO") or None,
        smtp_timeout_seconds=float(env.get("QUIRE_SMTP_TIMEOUT_SECONDS", Settings.smtp_timeout_seconds)),
        mail_max_attempts=int(env.get("QUIRE_MAIL_MAX_ATTEMPTS", Settings.mail_max_attempts)),
        mail_retry_base_seconds=float(env.get("QUIRE_MAIL_RETRY_BASE_SECONDS", Settings.mail_retry_base_seconds)),
        mail_retry_max_seconds=float(env.get("QUIRE_MAIL_RETRY_MAX_SECONDS", Settings.mail_retry_max_seconds)),
        billing_batch_size=max(1, int(env.get("QUIRE_BILLING_BATCH_SIZE", Settings.billing_batch_size))),
        webhook_timeout_seconds=float(env.get("QUIRE_WEBHOOK_TIMEOUT_SECONDS", Settings.webhook_timeout_seconds)),
        webhook_retry_base_seconds=float(env.get("QUIRE_WEBHOOK_RETRY_BASE_SECONDS", Settings.webhook_retry_base_seconds)),
        webhook_retry_max_seconds=float(env.get("QUIRE_WEBHOOK_RETRY_MAX_SECONDS", Settings.webhook_retry_max_seconds)),
        webhook_retry_window_seconds=float(
            env.get("QUIRE_WEBHOOK_RETRY_WINDOW_SECONDS", Settings.webhook_retry_window_seconds)),
        list_count_cap=max(0, int(env.get("QUIRE_LIST_COUNT_CAP", Settings.list_count_cap))),
        opentelemetry=env.get("QUIRE_OPENTELEMETRY", "").strip().lower() in {"1", "true", "yes", "on"},
    )


@cache
def _env_settings() -> Settings:
    return settings_from_env()


#: The settings of the app serving the current request (``create_app(settings)``); set by the route envelope.
active_settings: ContextVar[Settings | None] = ContextVar("quire_active_settings", default=None)


def get_settings() -> Settings:
    """The serving app's settings inside a request; the environment's everywhere else."""
    return active_settings.get() or _env_settings()
