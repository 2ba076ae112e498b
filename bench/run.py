"""Benchmarks of the invoice write path over real HTTP: `make bench` (or `python bench/run.py`).

Workloads, each run against SQLite (a fresh file) and PostgreSQL (a fresh database next to
QUIRE_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test):

  create-invoice   POST /invoices for one customer, N concurrent clients, for D seconds
  add-line         POST /invoices/{id}/line-items, each client filling its own draft invoice (one line
                   write recomputes line, group and invoice totals in one transaction)

The server is `quire serve` in its own process (uvicorn, --workers W); the load generator is an asyncio
httpx client in this process (it saturates well above the figures printed on the 2-core machine it was
measured on, so the server, not the client, is the bottleneck). Latencies are per request, client side.

Options: --seconds D (default 10), --concurrency N (default 16), --workers W (default 1),
--quick (3 s per workload), --only sqlite|postgresql.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUIRE = str(Path(sys.executable).with_name("quire"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_database() -> tuple[str, str] | None:
    import asyncpg

    admin = os.environ.get("QUIRE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"quire_bench_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable at {admin}: {exc!r}; skipping its rows")
        return None
    return admin.rsplit("/", 1)[0] + "/" + name, admin


def drop_pg(url: str, admin: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


class Server:
    def __init__(self, database_url: str, workers: int) -> None:
        self.env = {**os.environ, "QUIRE_DATABASE_URL": database_url}
        self.port = free_port()
        subprocess.run([QUIRE, "migrate"], env=self.env, check=True, capture_output=True)
        out = subprocess.run([QUIRE, "accounts", "create", "--name", "Bench"], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        self.credentials = json.loads(out)
        self.proc = subprocess.Popen(
            [QUIRE, "serve", "--no-migrate", "--port", str(self.port), "--workers", str(workers)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("quire serve did not start")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


async def drive(server: Server, workload: str, seconds: float, concurrency: int) -> dict[str, Any]:
    auth = (server.credentials["clientId"], server.credentials["clientSecret"])
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.base_url, auth=auth, limits=limits, timeout=30) as client:
        customer = (await client.post("/customers", json={
            "legalName": "Bench Ltd", "email": "ap@bench.example", "billingEmails": ["ap@bench.example"],
            "address": {"line1": "1 Old Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB"},
        })).json()["customer"]["id"]
        latencies: list[float] = []
        errors = 0
        stop_at = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            invoice_id = None
            lines = 0
            while time.perf_counter() < stop_at:
                if workload == "create-invoice":
                    start = time.perf_counter()
                    r = await client.post("/invoices", json={"currency": "GBP", "customerId": customer})
                else:
                    if invoice_id is None or lines >= 500:
                        invoice_id = (await client.post("/invoices", json={"currency": "GBP", "customerId": customer})).json()["id"]
                        lines = 0
                    start = time.perf_counter()
                    r = await client.post(f"/invoices/{invoice_id}/line-items", json={
                        "title": "Usage", "quantity": "12345", "rate": "0.0015", "taxRate": "0.2", "externalIds": []})
                    lines += 1
                latencies.append(time.perf_counter() - start)
                if r.status_code not in (200, 201):
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds
    print(f"# Quire invoice benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}: {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {args.concurrency} concurrent clients, {args.workers} worker(s), "
          f"{seconds:g} s per workload")
    print(f"{'database':<11} {'workload':<15} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    for backend in backends:
        cleanup = None
        if backend == "sqlite":
            tmp = tempfile.mkdtemp(prefix="quire-bench-")
            url = f"sqlite:///{tmp}/quire.db"
        else:
            made = pg_database()
            if made is None:
                continue
            url, admin = made
            cleanup = (url, admin)
        server = Server(url, args.workers)
        try:
            for workload in ("create-invoice", "add-line"):
                r = asyncio.run(drive(server, workload, seconds, args.concurrency))
                print(f"{backend:<11} {workload:<15} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.0f} "
                      f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}", flush=True)
        finally:
            server.stop()
            if cleanup:
                drop_pg(*cleanup)


if __name__ == "__main__":
    main()
