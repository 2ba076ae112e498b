"""The peer: django-silver 0.11.1 under gunicorn, driven with Quire's workloads (b) and (d).

``bench/peer/`` holds the minimal Django project (``silverbench``), its pinned requirements and a
bootstrap script; the peer runs from its own virtualenv (``bench/peer/.venv``, made on first use).

Silver's API for the same flow (read from silver/api/urls.py and documents_views.py in the venv):

  create     POST /invoices/                      {"provider": url, "customer": url, "currency": "USD"}
  add line   POST /invoices/{id}/entries/         {"description", "unit_price", "quantity"}
  finalize   PUT  /invoices/{id}/state/           {"state": "issued"}  (number = MAX(number)+1, no lock)

Numbers are checked in silver's own table afterwards; the causes of 5xx answers are counted in
gunicorn's log (Django logs each with its exception).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.suite import servers
from bench.suite.loadgen import Recorder, run_clients
from bench.suite.quire_workloads import Options, Target, _client_factory, _run, _sample, _window
from bench.suite.report import Row, headline, numbering_check
from bench.suite.servers import ServerProcess

PEER = Path(__file__).resolve().parents[1] / "peer"
VENV = PEER / ".venv"
CACHE = PEER / ".cache"
PY = VENV / "bin" / "python"
ENTRY = {"description": "Seats", "unit_price": "19.99", "quantity": "3"}


def ensure_venv(log: Path) -> None:
    """Create bench/peer/.venv and install the pinned requirements, once per requirements.txt."""
    req = PEER / "requirements.txt"
    stamp = VENV / ".installed"
    digest = hashlib.sha256(req.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and (VENV / "bin" / "gunicorn").exists():
        return
    print("# installing the peer (django-silver 0.11.1) into bench/peer/.venv ...", flush=True)
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    with log.open("ab") as out:
        subprocess.run([str(base), "-m", "venv", str(VENV)], check=True, stdout=out, stderr=subprocess.STDOUT)
        subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True, stdout=out,
                       stderr=subprocess.STDOUT)
    stamp.write_text(digest)


class Peer:
    """One peer deployment: a fresh database, migrated, bootstrapped, served by gunicorn."""

    def __init__(self, database: str, run_dir: Path, workers: int) -> None:
        self.database = database
        self.run_dir = run_dir
        self.workers = workers
        self.pg_url: str | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PEER_")}
        self.env["PYTHONPATH"] = str(PEER)
        self.env["DJANGO_SETTINGS_MODULE"] = "silverbench.settings"
        self.env["PEER_MEDIA_ROOT"] = str(run_dir / "peer-media")
        if database == "sqlite":
            self.env.update(PEER_DB="sqlite", PEER_SQLITE_PATH=str(run_dir / "silver.sqlite3"))
        else:
            self.pg_url = servers.create_pg_database("silver_bench")
            if self.pg_url is None:
                raise RuntimeError("PostgreSQL unreachable")
            rest = self.pg_url.split("://", 1)[1]
            userinfo, _, hostpart = rest.rpartition("@")
            hostport, _, name = hostpart.partition("/")
            host, _, port = hostport.partition(":")
            user, _, password = userinfo.partition(":")
            self.env.update(PEER_DB="postgresql", PEER_PG_NAME=name, PEER_PG_USER=user or "postgres",
                            PEER_PG_PASSWORD=password, PEER_PG_HOST=host or "127.0.0.1", PEER_PG_PORT=port or "5432")
        self.log = run_dir / f"silver-{database}.log"
        self.server: ServerProcess | None = None
        self.creds: dict[str, Any] = {}

    def prepare(self) -> None:
        """Migrate (silver has 54 migrations: 5-15 s), or load the migrated schema cached by an earlier run
        in bench/peer/.cache/ (keyed by the requirements and settings), then bootstrap."""
        key = hashlib.sha256((PEER / "requirements.txt").read_bytes()
                             + (PEER / "silverbench" / "settings.py").read_bytes()).hexdigest()[:12]
        CACHE.mkdir(exist_ok=True)
        if self.database == "sqlite":
            cached = CACHE / f"silver-{key}.sqlite3"
            target = Path(self.env["PEER_SQLITE_PATH"])
            if cached.exists():
                shutil.copyfile(cached, target)
            else:
                self._migrate()
                shutil.copyfile(target, cached)
        else:
            cached = CACHE / f"silver-{key}.pg.sql"
            psql, pg_dump = shutil.which("psql"), shutil.which("pg_dump")
            with self.log.open("ab") as out:
                if cached.exists() and psql:
                    subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", self.pg_url, "-f", str(cached)],
                                   check=True, stdout=out, stderr=subprocess.STDOUT)
                else:
                    self._migrate()
                    if pg_dump:
                        subprocess.run([pg_dump, "--no-owner", "--no-privileges", "-d", self.pg_url, "-f", str(cached)],
                                       check=True, stdout=out, stderr=subprocess.STDOUT)
        password = secrets.token_urlsafe(12)
        assert self.pg_url is not None or self.database == "sqlite"
        done = subprocess.run([str(PY), str(PEER / "bootstrap.py"), password, "2"], env=self.env, cwd=str(PEER),
                              check=True, capture_output=True, text=True)
        self.creds = json.loads(done.stdout.strip().splitlines()[-1])

    def _migrate(self) -> None:
        with self.log.open("ab") as out:
            subprocess.run([str(PY), str(PEER / "manage.py"), "migrate", "--noinput"], env=self.env, cwd=str(PEER),
                           check=True, stdout=out, stderr=subprocess.STDOUT)

    def start(self) -> ServerProcess:
        port = servers.free_port()
        argv = [str(VENV / "bin" / "gunicorn"), "--chdir", str(PEER), "-b", f"127.0.0.1:{port}",
                "-w", str(self.workers), "--no-control-socket", "--log-level", "warning", "silverbench.wsgi:application"]
        self.server = ServerProcess(f"silver-gunicorn-{self.workers}w", argv, self.env, port, self.log,
                                    health_path="/invoices/", cwd=str(PEER)).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.pg_url is not None:
            servers.drop_pg_database(self.pg_url)
            self.pg_url = None

    def target(self) -> Target:
        assert self.server is not None
        return Target(self.server, self.database, self.pg_url or "", f"silver-{self.workers}w")

    # --- what silver stored ------------------------------------------------------------------------------

    def numbers(self, provider: int) -> dict[str, Any]:
        sql = ("SELECT number, state FROM silver_billingdocumentbase WHERE kind = 'invoice' AND provider_id = {}")
        if self.database == "sqlite":
            with sqlite3.connect(self.env["PEER_SQLITE_PATH"], timeout=30) as conn:
                rows = list(conn.execute(sql.format("?"), (provider,)))
        else:
            import asyncio

            import asyncpg

            async def pg() -> list[Any]:
                conn = await asyncpg.connect(self.pg_url)
                try:
                    return [tuple(r) for r in await conn.fetch(sql.format("$1"), provider)]
                finally:
                    await conn.close()

            rows = asyncio.run(pg())
        numbers = [n for n, _ in rows if n is not None]
        states = Counter(s for _, s in rows)
        return {**numbering_check(numbers), "states": dict(states)}

    def log_causes(self, since: int) -> dict[str, int]:
        return servers.log_causes(self.log, since, "Internal Server Error:")


def _urls(t: Target, creds: dict[str, Any], provider: int) -> tuple[str, str]:
    base = f"http://{t.server.host}:{t.server.port}"
    return f"{base}/providers/{provider}/", f"{base}/customers/{creds['customer']}/"


async def _flow(peer_creds: dict[str, Any], provider_url: str, customer_url: str, numbers: list[Any],
                client: Any, rec: Recorder) -> bool:
    began = time.perf_counter()
    r = await rec.call("POST /invoices/", client, "POST", "/invoices/",
                       json_body={"provider": provider_url, "customer": customer_url, "currency": "USD"})
    if r is None or not r.ok:
        return False
    invoice = r.json()["id"]
    for _ in range(3):
        r = await rec.call("POST /invoices/{id}/entries/", client, "POST", f"/invoices/{invoice}/entries/", json_body=ENTRY)
        if r is None or not r.ok:
            return False
    r = await rec.call("PUT /invoices/{id}/state/ issued", client, "PUT", f"/invoices/{invoice}/state/",
                       json_body={"state": "issued"})
    if r is None or not r.ok:
        return False
    numbers.append(r.json().get("number"))
    rec.record("~flow", time.perf_counter() - began)
    return True


def full_flow(peer: Peer, opts: Options) -> list[Row]:
    t = peer.target()
    creds = peer.creds
    make = _client_factory_peer(t, opts, creds)
    provider, customer = _urls(t, creds, creds["providers"][0])
    numbers: list[Any] = []
    completed = 0
    mark = 0

    async def go() -> Any:
        nonlocal completed, mark

        async def warm(client: Any, rec: Recorder, _i: int) -> None:
            await _flow(creds, provider, customer, [], client, rec)

        await run_clients(make, opts.concurrency, warm, seconds=opts.warmup)
        mark = servers.log_size(peer.log)  # causes are counted for the measured part only

        async def one(client: Any, rec: Recorder, _i: int) -> None:
            nonlocal completed
            if await _flow(creds, provider, customer, numbers, client, rec):
                completed += 1

        _window(t)
        return await run_clients(make, opts.concurrency, one, seconds=opts.seconds)

    rec, elapsed, _done = _run(go())
    sample = _sample(t)
    notes = {"numbering": peer.numbers(creds["providers"][0]), "causes": peer.log_causes(mark),
             "error_samples": rec.error_samples}
    return headline(t.database, t.config, "full-flow", "inv/s", rec, elapsed, completed, sample, latency_op="~flow",
                    sub_ops=["POST /invoices/", "POST /invoices/{id}/entries/", "PUT /invoices/{id}/state/ issued"],
                    notes=notes)


def finalize_storm(peer: Peer, opts: Options) -> list[Row]:
    t = peer.target()
    creds = peer.creds
    make = _client_factory_peer(t, opts, creds)
    provider, customer = _urls(t, creds, creds["providers"][1])
    total = Recorder()
    elapsed_total = 0.0
    issued = 0
    mark = peer.log.stat().st_size

    async def go() -> None:
        nonlocal elapsed_total, issued
        first = True
        for _round in range(opts.storm_rounds):
            drafts: list[int] = []

            async def prepare(client: Any, rec: Recorder, _i: int) -> None:
                r = await rec.call("setup", client, "POST", "/invoices/",
                                   json_body={"provider": provider, "customer": customer, "currency": "USD"})
                if r is not None and r.ok:
                    inv = r.json()["id"]
                    await rec.call("setup", client, "POST", f"/invoices/{inv}/entries/", json_body=ENTRY)
                    drafts.append(inv)

            setup = Recorder()
            for _ in range(opts.storm_size * 2):
                if len(drafts) >= opts.storm_size:
                    break
                await run_clients(make, min(8, opts.storm_size - len(drafts)), prepare, iterations=1, recorder=setup)

            async def fire(client: Any, rec: Recorder, i: int) -> None:
                await rec.call("PUT /invoices/{id}/state/ issued", client, "PUT", f"/invoices/{drafts[i]}/state/",
                               json_body={"state": "issued"})

            if first:
                _window(t)
                first = False
            _rec, elapsed, done = await run_clients(make, len(drafts), fire, iterations=1, recorder=total)
            elapsed_total += elapsed
            issued += done - 0

    _run(go())
    sample = _sample(t)
    ok = issued - total.errors.get("PUT /invoices/{id}/state/ issued", 0)
    notes = {"numbering": peer.numbers(creds["providers"][1]), "causes": peer.log_causes(mark),
             "error_samples": total.error_samples, "rounds": opts.storm_rounds, "size": opts.storm_size}
    return headline(t.database, t.config, "finalize-storm", "fin/s", total, elapsed_total, ok, sample, notes=notes)


def _client_factory_peer(t: Target, opts: Options, creds: dict[str, Any]) -> Any:
    return _client_factory(t, opts, {"clientId": creds["username"], "clientSecret": creds["password"]})
