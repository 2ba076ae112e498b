"""The `quire` command line, run as a real process against a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import free_port, stop_process

QUIRE = [sys.executable, "-m", "quire.cli"]


def run(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUIRE_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(QUIRE + args, env=env, capture_output=True, text=True, timeout=60)


def test_migrate_then_accounts_create_prints_one_json_object(tmp_path: Path) -> None:
    db = tmp_path / "quire.db"
    assert run(["migrate"], db).returncode == 0
    done = run(["accounts", "create", "--name", "Acme", "--merchant-settings",
                json.dumps({"legalCompanyName": "Acme Ltd", "invoiceNumberPrefix": "AC-"})], db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    created = json.loads(lines[0])
    assert set(created) == {"sequenceAccountId", "clientId", "clientSecret"}
    assert len(created["clientSecret"]) >= 40


def test_bad_merchant_settings_are_refused_before_anything_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "quire.db"
    run(["migrate"], db)
    for bad in ('{"paymentTermsDays": 1000}', '{"primaryColour": "teal"}', "[1]", "{not json"):
        done = run(["accounts", "create", "--name", "Bad", "--merchant-settings", bad], db)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert done.stdout == ""
        assert done.stderr.strip()


def _merchant_settings(db: Path, account_id: str) -> dict[str, object]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        (raw,) = conn.execute("SELECT merchant_settings FROM accounts WHERE id = ?", (account_id,)).fetchone()
    return json.loads(raw) if isinstance(raw, str) else raw


def demo(db: Path, cwd: Path, port: str = "8123") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUIRE_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(QUIRE + ["demo", "--port", port], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_demo_account_has_a_complete_fictional_seller_and_saves_what_the_readme_reads(tmp_path: Path) -> None:
    from quire.cli import DEMO_MERCHANT

    db = tmp_path / "quire.db"
    run(["migrate"], db)
    first = demo(db, tmp_path)
    assert first.returncode == 0, first.stderr
    saved = json.loads((tmp_path / ".quire-demo.json").read_text())
    assert set(saved) == {"sequenceAccountId", "clientId", "clientSecret", "url", "consoleEmail", "consolePassword"}
    assert f"/console/  (sign in as {saved['consoleEmail']}, password {saved['consolePassword']})" in first.stdout
    assert _opens_console(db, saved["consoleEmail"], saved["consolePassword"], saved["sequenceAccountId"])
    assert saved["url"] == "http://127.0.0.1:8123"
    assert (tmp_path / ".quire-demo.json").stat().st_mode & 0o077 == 0  # a secret: the owner's only
    assert saved["clientSecret"] in first.stdout and "/invoices/{id}/hosted-link" in first.stdout
    stored = _merchant_settings(db, saved["sequenceAccountId"])
    for key in ("legalCompanyName", "address", "email", "taxId", "iban", "ukAccountDetails"):
        assert stored[key] == DEMO_MERCHANT[key], key  # name, address and email: invoices get a seller
    assert stored["paymentTermsDays"] == 30  # stored as PUT /merchant-settings stores it, defaults filled in
    assert stored["email"].endswith(".example")

    again = demo(db, tmp_path, port="8124")
    assert again.returncode == 0, again.stderr
    resaved = json.loads((tmp_path / ".quire-demo.json").read_text())
    assert resaved == {**saved, "url": "http://127.0.0.1:8124"}  # the same credentials, the new address

    (tmp_path / ".quire-demo.json").unlink()  # lost: a new API secret and a new console password that works
    third = json.loads((demo(db, tmp_path), (tmp_path / ".quire-demo.json").read_text())[1])
    assert third["consolePassword"] != saved["consolePassword"]
    assert _opens_console(db, third["consoleEmail"], third["consolePassword"], saved["sequenceAccountId"])
    assert not _opens_console(db, saved["consoleEmail"], saved["consolePassword"], saved["sequenceAccountId"])


def _opens_console(db: Path, email: str, password: str, account_id: str) -> bool:
    """The user's stored scrypt hash takes ``password`` and the user is a member of ``account_id``."""
    import sqlite3

    from quire.users.passwords import verify_password

    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT u.password_hash FROM users u JOIN user_accounts m ON m.user_id = u.id "
                           "WHERE u.email = ? AND m.account_id = ? AND u.state = 'active'", (email, account_id)).fetchone()
    return row is not None and verify_password(row[0], password)


def test_demo_leaves_a_seller_someone_set_alone(tmp_path: Path) -> None:
    db = tmp_path / "quire.db"
    run(["migrate"], db)
    own = {"legalCompanyName": "Mine Ltd", "email": "me@mine.example",
           "address": {"line1": "2 Road", "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"}}
    made = run(["accounts", "create", "--name", "Quire demo", "--merchant-settings", json.dumps(own)], db)
    assert made.returncode == 0, made.stderr
    account = json.loads(made.stdout)["sequenceAccountId"]
    done = demo(db, tmp_path)
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / ".quire-demo.json").read_text())
    assert saved["sequenceAccountId"] == account and saved["clientId"] != json.loads(made.stdout)["clientId"]
    stored = _merchant_settings(db, account)
    assert stored["legalCompanyName"] == "Mine Ltd" and "iban" not in stored


async def _hold_connections(port: int, n: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """``n`` keep-alive connections opened at once (as a load generator's clients do), each answered once."""

    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: quire\r\n\r\n")
        await writer.drain()
        answer = b""
        while b'"ok"' not in answer:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            assert chunk, answer
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer
        return reader, writer

    return list(await asyncio.gather(*(one() for _ in range(n))))


def _workers(pid: int, port: int) -> dict[int, int]:
    """Each worker's pid (a direct child of the server's process holding the listening socket; not, say,
    multiprocessing's resource tracker) and its ESTABLISHED sockets on ``port``."""
    import psutil

    def count(child: psutil.Process, status: str) -> int:
        try:
            return sum(1 for c in child.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.status == status)
        except psutil.NoSuchProcess:
            return 0

    return {child.pid: count(child, psutil.CONN_ESTABLISHED) for child in psutil.Process(pid).children()
            if count(child, psutil.CONN_LISTEN)}


@pytest.mark.parametrize("server", ["default", "uvicorn"])
def test_serve_with_two_workers_serves_from_two_processes(tmp_path: Path, server: str) -> None:
    """`quire serve --workers 2` is two worker processes that both take connections; with the default server
    (granian, docs/performance.md#server-choice) 16 connections opened at once spread over both of them,
    where uvicorn's first worker to wake up can accept them all. A worker killed is started again."""
    pytest.importorskip("psutil")
    port = free_port()
    env = {**os.environ, "QUIRE_DATABASE_URL": f"sqlite:///{tmp_path / 'quire.db'}"}
    args = ["serve", "--port", str(port), "--workers", "2"] + ([] if server == "default" else ["--server", server])
    proc = subprocess.Popen(QUIRE + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "quire serve did not start"
            time.sleep(0.2)
        time.sleep(1)  # the second worker may answer a moment after the first

        async def check() -> dict[int, int]:
            held = await _hold_connections(port, 16)
            try:
                return _workers(proc.pid, port)
            finally:
                for _, writer in held:
                    writer.close()

        per_worker = asyncio.run(check())
        assert len(per_worker) == 2 and sum(per_worker.values()) == 16, per_worker
        if server == "default":
            assert min(per_worker.values()) >= 3, per_worker  # both take a fair part, not one all of them

        killed = next(iter(per_worker))
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(now := _workers(proc.pid, port)) < 2 or killed in now:
            assert proc.poll() is None and time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            assert r.status == 200
    finally:
        stop_process(proc)
    assert proc.returncode == 0 or server == "uvicorn", proc.stderr.read() if proc.stderr else ""


@pytest.mark.parametrize("server", ["default", "uvicorn"])
def test_serve_on_a_busy_port_says_so_and_exits(tmp_path: Path, server: str) -> None:
    """A second `quire serve` on a port another server listens on exits with a message, for granian too (whose
    SO_REUSEPORT would otherwise let it start and share the port's connections with the first server)."""
    import socket

    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as granian's own listener does
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "QUIRE_DATABASE_URL": f"sqlite:///{tmp_path / 'quire.db'}"}
        args = ["serve", "--port", str(port)] + ([] if server == "default" else ["--server", server])
        done = subprocess.run(QUIRE + args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert not (tmp_path / "quire.db").exists()  # refused before migrating anything
