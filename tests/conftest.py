"""Fixtures: one live server per database for the whole run; a fresh account per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    ApiClient, LiveServer, SmtpSink, create_pg_database, drop_pg_database, free_port, in_ci, required_pg_database,
    start_server,
)

BACKENDS = ["sqlite", "postgresql"]

# Test servers never start the daily billing run by themselves (one started near 02:00 UTC would bill its
# test schedules behind the tests' backs); `quire worker` processes still defer periodic jobs (test_jobs).
os.environ.setdefault("QUIRE_PERIODIC_IN_APP", "false")


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "quire.db"
        live = start_server("sqlite", f"sqlite:///{path}")
        yield live
        live.stop()
        return
    try:
        url = create_pg_database()
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL decides the leg's fate
        message = f"PostgreSQL at {os.environ.get('QUIRE_TEST_DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/test')} is not reachable: {exc!r}"
        if in_ci():
            pytest.fail("CI=true requires the PostgreSQL leg. " + message, pytrace=False)
        pytest.skip(message)
    live = start_server("postgresql", url)
    yield live
    live.stop()
    drop_pg_database(url)


@pytest.fixture
def client(server: LiveServer) -> Iterator[ApiClient]:
    """A contract-checking client of a brand-new account."""
    with ApiClient(server.base_url, server.new_account()) as api:
        yield api


@pytest.fixture
def other_client(server: LiveServer) -> Iterator[ApiClient]:
    """A client of a second, unrelated account (cross-account isolation tests)."""
    with ApiClient(server.base_url, server.new_account("Other account")) as api:
        yield api


@pytest.fixture
def anonymous(server: LiveServer) -> Iterator[ApiClient]:
    with ApiClient(server.base_url, None) as api:
        yield api


#: Email delivery settings of ``mail_server``: tiny retry delays, so an undeliverable message runs out of
#: its 3 attempts in well under a second.
MAIL_SETTINGS = {
    "mail_from": "Quire Invoices <invoices@quire.test>",
    "mail_reply_to": "accounts@quire.test",
    "mail_max_attempts": 3,
    "mail_retry_base_seconds": 0.05,
    "mail_retry_max_seconds": 0.2,
    "smtp_timeout_seconds": 5.0,
}


@pytest.fixture(scope="session", params=BACKENDS)
def mail_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, SmtpSink]]:
    """A live Quire whose QUIRE_SMTP_URL points at a real local SMTP server (aiosmtpd, with AUTH), and
    whose QUIRE_PUBLIC_URL is its own address. The plain ``server`` fixture has no SMTP configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('sqlite-mail')) / 'quire.db'}"
    else:
        url = required_pg_database()
    sink = SmtpSink()
    sink.start()
    port = free_port()
    live = start_server(f"{request.param}-mail", url, port=port, public_url=f"http://127.0.0.1:{port}",
                        smtp_url=sink.url, **MAIL_SETTINGS)
    yield live, sink
    live.stop()
    sink.stop()
    if request.param == "postgresql":
        drop_pg_database(url)


#: Webhook delivery settings of ``webhook_server``: a 1 s timeout and retries within a second, so a
#: receiver's failures and recoveries play out in a test's time (docs/webhooks.md#retries).
WEBHOOK_SETTINGS = {
    "webhook_timeout_seconds": 1.0,
    "webhook_retry_base_seconds": 0.2,
    "webhook_retry_max_seconds": 1.0,
    "webhook_retry_window_seconds": 60.0,
}


@pytest.fixture(scope="session", params=BACKENDS)
def webhook_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live Quire (with its in-process worker) whose webhook retries take fractions of a second."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('sqlite-webhooks')) / 'quire.db'}"
    else:
        url = required_pg_database()
    live = start_server(f"{request.param}-webhooks", url, **WEBHOOK_SETTINGS)
    yield live
    live.stop()
    if request.param == "postgresql":
        drop_pg_database(url)
