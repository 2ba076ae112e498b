"""Test support: live Quire servers on real databases, and a client that checks every answer.

No mocks: each server is a real uvicorn on 127.0.0.1 serving the real app on a real SQLite file
or a real PostgreSQL database created for the run and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import uvicorn

from quire.accounts.service import NewCredential, create_account
from quire.app import create_app
from quire.config import Settings
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction
from quire.core.migrate import upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    return os.environ.get("QUIRE_TEST_DATABASE_URL", DEFAULT_PG)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def required_pg_database() -> str:
    """A fresh PostgreSQL database for a test's PostgreSQL leg. Unreachable PostgreSQL fails the test under
    CI=true (that leg must run there) and skips it elsewhere."""
    import pytest

    try:
        return create_pg_database()
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL decides the leg's fate
        if in_ci():
            pytest.fail(f"CI=true requires the PostgreSQL leg: {exc!r}", pytrace=False)
        pytest.skip(f"PostgreSQL is not reachable: {exc!r}")


async def _pg_exec(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    """Create a fresh database next to the admin one; return its URL. Raises if PostgreSQL is down."""
    admin = pg_admin_url()
    name = f"quire_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = pg_admin_url()
    asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def files_served(files: dict[str, bytes], content_type: str = "image/png") -> Iterator[str]:
    """A real HTTP server on loopback answering GET ``path`` with ``files[path]`` (404 otherwise), for as
    long as the block runs; yields its base URL (a logo a document fetches, for example)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM a server started by a test and wait for it; SIGKILL if it does not end within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


T = TypeVar("T")


def in_database(live: "LiveServer", work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in one committed transaction on the live server's database, from the test.

    On SQLite the transaction is a write transaction from its first statement (``BEGIN IMMEDIATE``, as the
    server's own writes): a deferred one that reads, then writes after the server's in-process worker
    committed (its heartbeat), would fail at once with "database is locked" whatever the busy timeout."""
    async def run() -> T:
        token = sqlite_write_transaction.set(True)
        engine = make_engine(live.settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()
            sqlite_write_transaction.reset(token)

    return asyncio.run(run())


@dataclass
class LiveServer:
    name: str
    settings: Settings
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def new_account(self, name: str = "Test account", merchant_settings: dict[str, Any] | None = None) -> NewCredential:
        return in_database(self, lambda session: create_account(session, name=name, merchant_settings=merchant_settings))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        LIVE_SERVERS.pop(self.base_url, None)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``quire <args>`` run as a real process on this server's database."""
        env = {**os.environ, "QUIRE_DATABASE_URL": self.settings.database_url}
        return subprocess.run([sys.executable, "-m", "quire.cli", *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)


#: The live servers by base URL: helpers that hold only a client reach the server's database through it.
LIVE_SERVERS: dict[str, LiveServer] = {}


def start_server(name: str, database_url: str, *, port: int | None = None, **overrides: Any) -> LiveServer:
    """A migrated database and a live Quire on it; ``overrides`` are further ``Settings`` fields."""
    settings = Settings(database_url=database_url, **overrides)
    upgrade(settings)
    port = port or free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"quire-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"Quire test server on {name} did not start")
        time.sleep(0.02)
    live = LiveServer(name=name, settings=settings, base_url=f"http://127.0.0.1:{port}", server=server, thread=thread)
    LIVE_SERVERS[live.base_url] = live
    return live


class ApiClient(httpx.Client):
    """An httpx client for one account whose every response is checked against the contract."""

    def __init__(self, base_url: str, credential: NewCredential | None, *, validate: bool = True, **kwargs: Any) -> None:
        hooks = {"response": [self._check]} if validate else {}
        auth = (credential.client_id, credential.client_secret) if credential else None
        super().__init__(base_url=base_url, auth=auth, event_hooks=hooks, timeout=30, **kwargs)
        self.credential = credential
        self.checked = 0

    def _check(self, response: httpx.Response) -> None:
        from tests.contract import ContractViolation, get_contract

        response.read()
        if response.status_code >= 500:  # whatever its body: a well-formed error body does not excuse a crash
            raise ContractViolation(f"{response.request.method} {response.request.url.path} -> {response.status_code}: "
                                    f"a server error: {response.text[:300]}")
        get_contract().validate_response(
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.content,
            response.headers.get("content-type"),
        )
        self.checked += 1


@dataclass
class Delivered:
    """One message as a real SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, requiring AUTH LOGIN/PLAIN
    with ``username``/``password``. ``stop()`` closes the port (an SMTP outage); ``start()`` reopens it.
    Addresses in ``refused`` are refused for good at RCPT (550), as a real server refuses an unknown mailbox."""

    def __init__(self, username: str = "quire@test", password: str = "s3cret/pw") -> None:
        self.port = free_port()
        self.username = username
        self.password = password
        self.messages: list[Delivered] = []
        self.refused: set[str] = set()
        self._controller: Any = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        from urllib.parse import quote

        return f"smtp://{quote(self.username, safe='')}:{quote(self.password, safe='')}@127.0.0.1:{self.port}"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            raw = envelope.original_content or envelope.content
            self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw), session.auth_data))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate,
                                      auth_required=True, auth_require_tls=False)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received_by(self, address: str) -> list[Delivered]:
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]
