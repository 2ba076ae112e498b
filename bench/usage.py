"""Usage benchmark: ingest through the API, and metric aggregation over a large seeded table.

    .venv/bin/python bench/usage.py                      # small: both databases, ~1 minute
    .venv/bin/python bench/usage.py --database postgresql --events 10000000 --seconds 10

For each database (SQLite: a fresh file; PostgreSQL: a fresh database next to QUIRE_TEST_DATABASE_URL,
dropped afterwards) it starts `quire serve` (one uvicorn worker, a separate process) and measures:

  ingest-single   POST /usage-events, one event per request, --concurrency keep-alive clients for
                  --seconds; then every event is counted in the database (none lost) and the first
                  1,000 are sent again with their customerEventId (the count must not change)
  ingest-csv      POST /usage-events/csv (the contract's bulk path): --csv-files files of --csv-rows rows,
                  timed from the first upload to the last COMPLETED status; one file is uploaded again
                  (its rows supersede themselves: the count must not change)
  seed            --events events of --customers customers (each named by an alias) over three months,
                  written straight into the table (PostgreSQL COPY, SQLite executemany), then ANALYZE
  sum-one         GET /usage-metrics/{id}/calculate (SUM of a decimal property) for one customer-month,
                  --samples random customers: latency over HTTP and of the SQL alone
  sum-all         the same metric for every customer for the month, in one query (calculate_all)

The load generator runs in this process (on uvloop unless --client-loop asyncio) and shares the
machine's CPUs with the server: the ingest figures are lower bounds. Figures and method: docs/usage.md#benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from quire.accounts.service import NewCredential, create_account  # noqa: E402
from quire.config import Settings  # noqa: E402
from quire.core.db import make_engine, make_sessionmaker  # noqa: E402
from quire.core.ids import uuid7  # noqa: E402
from quire.core.migrate import upgrade  # noqa: E402
from quire.usage.calculation import MetricSpec, calculate, calculate_all  # noqa: E402

PG_ADMIN = os.environ.get("QUIRE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MONTH_START = datetime(2024, 2, 1, tzinfo=UTC)
MONTH_END = datetime(2024, 3, 1, tzinfo=UTC)


# --- a tiny keep-alive HTTP/1.1 client (httpx costs ~10x more CPU per request) ------------------------


class Http:
    def __init__(self, port: int, credential: NewCredential) -> None:
        self.port = port
        token = base64.b64encode(f"{credential.client_id}:{credential.client_secret}".encode()).decode()
        self.auth = f"Authorization: Basic {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\n{self.auth}Content-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        assert self.reader is not None
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        data = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# --- database and server ---------------------------------------------------------------------------


async def _pg(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'usage-bench.db'}"
    name = f"quire_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(PG_ADMIN, f'CREATE DATABASE "{name}"'))
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        asyncio.run(_pg(PG_ADMIN, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def new_account(settings: Settings) -> NewCredential:
    async def run() -> NewCredential:
        engine = make_engine(settings)
        async with make_sessionmaker(engine)() as session:
            cred = await create_account(session, name="Usage bench")
            await session.commit()
        await engine.dispose()
        return cred

    return asyncio.run(run())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, workdir: Path, workers: int = 1, server: str = "uvicorn") -> tuple[subprocess.Popen[bytes], int]:
    """``quire serve`` (uvicorn), or granian's ASGI interface over the same app factory (the bench extra)."""
    port = free_port()
    env = {**os.environ, "QUIRE_DATABASE_URL": url, "QUIRE_MAX_BODY_BYTES": str(64 * 1024 * 1024)}
    log = open(workdir / f"server-{port}.log", "wb")  # noqa: SIM115 - lives as long as the server
    if server == "granian":
        argv = [str(Path(sys.executable).with_name("granian")), "--interface", "asgi", "--factory", "--host",
                "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-ws", "--log-level", "warning",
                "quire.app:create_app"]
    else:
        argv = [str(Path(sys.executable).with_name("quire")), "serve", "--no-migrate", "--port", str(port),
                "--workers", str(workers)]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("quire serve did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def count_events(settings: Settings, account_id: str) -> int:
    from sqlalchemy import func, select

    from quire.usage.models import UsageEvent

    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as session:
        n = await session.scalar(select(func.count()).select_from(UsageEvent).where(UsageEvent.account_id == account_id))
    await engine.dispose()
    return int(n or 0)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


# --- workloads -------------------------------------------------------------------------------------


def cpu_times() -> list[int]:
    """The machine's CPU time counters (/proc/stat: user nice system idle iowait irq softirq steal)."""
    try:
        with open("/proc/stat") as stat:
            return [int(x) for x in stat.readline().split()[1:9]]
    except OSError:
        return []


def cpu_shares(before: list[int], after: list[int]) -> str:
    """How the machine's CPUs were spent between two ``cpu_times``: busy, idle, and stolen by the
    hypervisor (a VM's neighbours; high steal means the run measured a slower machine)."""
    if not before or not after:
        return "n/a"
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d) or 1
    busy = d[0] + d[1] + d[2] + d[5] + d[6]
    return f"busy {100 * busy / total:.0f}%, idle {100 * (d[3] + d[4]) / total:.0f}%, steal {100 * d[7] / total:.0f}%"


def event_body(i: int, prefix: str) -> bytes:
    amount = f"{random.randint(0, 99999) / 100:.2f}"
    return (f'{{"customerAlias":"alias-{i % 1000}","eventType":"api_call","customerEventId":"{prefix}-{i}",'
            f'"eventTimestamp":"2024-01-15T10:00:00Z","eventProperties":{{"amount":{amount},"region":"eu"}}}}').encode()


async def ingest_single(port: int, cred: NewCredential, seconds: float, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        http = Http(port, cred)
        while time.perf_counter() < deadline:
            i = next(counter)
            t0 = time.perf_counter()
            status, _ = await http.request("POST", "/usage-events", event_body(i, "single"))
            latencies.append(time.perf_counter() - t0)
            errors += status != 201
        http.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ok = len(latencies) - errors
    return {"requests": len(latencies), "ok": ok, "errors": errors, "per_s": ok / elapsed,
            "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000}


async def resend_single(port: int, cred: NewCredential, n: int) -> int:
    http = Http(port, cred)
    bad = 0
    for i in range(n):
        status, _ = await http.request("POST", "/usage-events", event_body(i, "single"))
        bad += status != 201
    http.close()
    return bad


def csv_file(rows: int, file_no: int) -> bytes:
    lines = ["eventType,eventTimestamp,customerAlias,customerEventId,eventProperty#amount,eventProperty#region"]
    for i in range(rows):
        lines.append(f"api_call,2024-01-16T10:00:00Z,alias-{i % 1000},csv-{file_no}-{i},{random.randint(0, 99999) / 100:.2f},eu")
    return ("\n".join(lines) + "\n").encode()


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"events.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def ingest_csv(port: int, cred: NewCredential, files: list[bytes]) -> dict[str, Any]:
    http = Http(port, cred)
    started = time.perf_counter()
    ids = []
    for data in files:
        body, content_type = multipart(data)
        status, reply = await http.request("POST", "/usage-events/csv", body, content_type)
        assert status == 201, reply[:300]
        ids.append(json.loads(reply)["id"])
    accepted = 0
    for upload_id in ids:
        while True:
            status, reply = await http.request("GET", f"/usage-events/csv/{upload_id}")
            state = json.loads(reply)
            if state["status"] in ("COMPLETED", "FAILED"):
                accepted += state["acceptedCount"]
                break
            await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    http.close()
    return {"files": len(files), "events": accepted, "seconds": elapsed, "per_s": accepted / elapsed}


def seed_rows(account_id: str, customers: int, events: int) -> Any:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime(2024, 4, 1, tzinfo=UTC) - start).total_seconds()
    for i in range(events):
        ts = start + timedelta(seconds=rng.random() * span)
        props = f'{{"amount": {rng.randint(0, 99999) / 100:.2f}, "region": "{rng.choice(("eu", "us", "apac"))}"}}'
        event_id = str(uuid.UUID(int=(int(ts.timestamp() * 1000) << 80) | (0x7 << 76) | (2 << 62) | rng.getrandbits(62)))
        kind = "other" if rng.random() < 0.1 else "api_call"  # 10% noise of another event type
        yield (event_id, account_id, f"seed-{i}", f"seed-alias-{i % customers}", kind, ts, props, ts, 1)


async def seed(settings: Settings, account_id: str, customers: int, events: int) -> dict[str, Any]:
    """Customers with one alias each, then events straight into usage_events (no API: a bulk path)."""
    now = datetime.now(UTC)
    customer_ids = [uuid7() for _ in range(customers)]
    address = json.dumps({"line1": "1 Road", "town": "London", "postcode": "N1", "country": "GB"})
    started = time.perf_counter()
    columns = ["id", "account_id", "customer_event_id", "customer_alias", "event_type", "event_timestamp",
               "event_properties", "received_at", "revision"]
    if settings.database_url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
        await conn.executemany(
            "INSERT INTO customers (id, account_id, created_at, updated_at, legal_name, address, email, billing_emails, "
            "tax_status, external_ids) VALUES ($1, $2, $3, $3, $4, $5::json, 'c@example.com', '[]', 'TAXED', '[]')",
            [(cid, account_id, now, f"Customer {n}", address) for n, cid in enumerate(customer_ids)])
        await conn.executemany(
            "INSERT INTO customer_aliases (id, account_id, customer_id, value, created_at) VALUES ($1, $2, $3, $4, $5)",
            [(uuid7(), account_id, cid, f"seed-alias-{n}", now) for n, cid in enumerate(customer_ids)])
        batch: list[Any] = []
        for row in seed_rows(account_id, customers, events):
            batch.append(row)
            if len(batch) == 200_000:
                await conn.copy_records_to_table("usage_events", records=batch, columns=columns)
                batch = []
        if batch:
            await conn.copy_records_to_table("usage_events", records=batch, columns=columns)
        await conn.execute("ANALYZE usage_events; ANALYZE customer_aliases; ANALYZE customers")
        await conn.close()
    else:
        path = settings.database_url.removeprefix("sqlite:///")
        db = sqlite3.connect(path)
        naive = now.replace(tzinfo=None)
        db.executemany(
            "INSERT INTO customers (id, account_id, created_at, updated_at, legal_name, address, email, billing_emails, "
            "tax_status, external_ids) VALUES (?, ?, ?, ?, ?, ?, 'c@example.com', '[]', 'TAXED', '[]')",
            [(cid, account_id, naive, naive, f"Customer {n}", address) for n, cid in enumerate(customer_ids)])
        db.executemany(
            "INSERT INTO customer_aliases (id, account_id, customer_id, value, created_at) VALUES (?, ?, ?, ?, ?)",
            [(uuid7(), account_id, cid, f"seed-alias-{n}", naive) for n, cid in enumerate(customer_ids)])
        sql = f"INSERT INTO usage_events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        db.executemany(sql, ((r[0], r[1], r[2], r[3], r[4], r[5].replace(tzinfo=None), r[6], r[7].replace(tzinfo=None), r[8])
                             for r in seed_rows(account_id, customers, events)))
        db.commit()
        db.execute("ANALYZE")
        db.close()
    return {"events": events, "customers": customers, "seconds": time.perf_counter() - started,
            "customer_ids": customer_ids}


async def aggregate(settings: Settings, port: int, cred: NewCredential, customer_ids: list[str], samples: int,
                    explain: bool) -> dict[str, Any]:
    http = Http(port, cred)
    status, reply = await http.request("POST", "/usage-metrics", json.dumps({
        "name": "Amount", "metricType": "SIMPLE", "eventType": "api_call", "aggregationType": "SUM",
        "aggregationProperty": "amount"}).encode())
    assert status == 201, reply
    metric_id = json.loads(reply)["id"]
    picks = random.Random(3).sample(customer_ids, min(samples, len(customer_ids)))
    over_http: list[float] = []
    for cid in picks:
        t0 = time.perf_counter()
        status, reply = await http.request(
            "GET", f"/usage-metrics/{metric_id}/calculate?customerAliases={cid}&periodStart=2024-02-01&periodEnd=2024-02-29")
        over_http.append(time.perf_counter() - t0)
        assert status == 200, reply
    http.close()
    last = json.loads(reply, parse_float=Decimal)
    spec = MetricSpec(event_type="api_call", aggregation="SUM", grouping_property=None, aggregation_property="amount")
    engine = make_engine(settings)
    sql_only: list[float] = []
    async with make_sessionmaker(engine)() as session:
        for cid in picks:
            t0 = time.perf_counter()
            await calculate(session, cred.account_id, spec, [cid], MONTH_START, MONTH_END)
            sql_only.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        everyone = await calculate_all(session, cred.account_id, spec, MONTH_START, MONTH_END)
        all_seconds = time.perf_counter() - t0
        if explain and settings.database_url.startswith("postgresql"):
            from sqlalchemy import text

            from quire.usage.calculation import _props, _statement

            stmt = _statement(_props(session), spec, cred.account_id, MONTH_START, MONTH_END, customer_ids=[picks[0]])
            compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
            plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))
            print("\n".join(r[0] for r in plan), file=sys.stderr)
    await engine.dispose()
    return {"one_http_p50_ms": pct(over_http, 50) * 1000, "one_http_p95_ms": pct(over_http, 95) * 1000,
            "one_sql_p50_ms": pct(sql_only, 50) * 1000, "one_sql_p95_ms": pct(sql_only, 95) * 1000,
            "one_events": last["eventCount"], "one_value": str(last["value"]),
            "all_seconds": all_seconds, "all_customers": len(everyone),
            "all_events": sum(r.total.event_count for r in everyone.values())}


# --- main ------------------------------------------------------------------------------------------


def run(kind: str, args: argparse.Namespace, workdir: Path) -> None:
    url = fresh_database(kind, workdir)
    settings = Settings(database_url=url)
    proc = None
    try:
        upgrade(settings)
        cred = new_account(settings)
        proc, port = start_server(url, workdir, args.workers, args.server)
        print(f"\n== {kind} ==")
        if args.seconds > 0:
            before = cpu_times()
            single = asyncio.run(ingest_single(port, cred, args.seconds, args.concurrency))
            machine = cpu_shares(before, cpu_times())
            stored = asyncio.run(count_events(settings, cred.account_id))
            resend = asyncio.run(resend_single(port, cred, min(1000, single["ok"])))
            again = asyncio.run(count_events(settings, cred.account_id))
            print(f"ingest-single  {single['per_s']:8.0f} events/s  p50 {single['p50_ms']:.1f} ms  p99 {single['p99_ms']:.1f} ms"
                  f"  ({single['ok']} ok, {single['errors']} errors; stored {stored}; after resending 1,000: {again}, "
                  f"{resend} errors)")
            print(f"               machine during the run: {machine}")
            assert stored == single["ok"] and again == stored, "events lost or double-counted"
        if args.csv_files > 0:
            files = [csv_file(args.csv_rows, n) for n in range(args.csv_files)]
            before = asyncio.run(count_events(settings, cred.account_id))
            bulk = asyncio.run(ingest_csv(port, cred, files))
            after = asyncio.run(count_events(settings, cred.account_id))
            asyncio.run(ingest_csv(port, cred, files[:1]))
            retried = asyncio.run(count_events(settings, cred.account_id))
            print(f"ingest-csv     {bulk['per_s']:8.0f} events/s  ({bulk['events']} events in {bulk['files']} files, "
                  f"{bulk['seconds']:.2f} s; stored {after - before}; after re-uploading one file: {retried - before})")
            assert after - before == bulk["events"] and retried == after, "events lost or double-counted"
        if args.events <= 0 or args.samples <= 0:
            return  # ingest only (--events 0 or --samples 0): no seeding, no aggregation
        seeded = asyncio.run(seed(settings, cred.account_id, args.customers, args.events))
        print(f"seed           {seeded['events'] / seeded['seconds']:8.0f} rows/s   ({seeded['events']} events, "
              f"{seeded['customers']} customers, {seeded['seconds']:.1f} s)")
        agg = asyncio.run(aggregate(settings, port, cred, seeded["customer_ids"], args.samples, args.explain))
        print(f"sum-one        HTTP p50 {agg['one_http_p50_ms']:.1f} ms p95 {agg['one_http_p95_ms']:.1f} ms; "
              f"SQL p50 {agg['one_sql_p50_ms']:.1f} ms p95 {agg['one_sql_p95_ms']:.1f} ms "
              f"(a customer-month: {agg['one_events']} events, value {agg['one_value']})")
        print(f"sum-all        {agg['all_seconds']:.2f} s for {agg['all_customers']} customers, {agg['all_events']} events, one month")
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(url)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--seconds", type=float, default=5, help="seconds of single-event ingest (0 skips it)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--workers", type=int, default=1, help="worker processes of the server (production: 2)")
    p.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn",
                   help="uvicorn (`quire serve`) or granian (needs the bench extra)")
    p.add_argument("--csv-files", type=int, default=3)
    p.add_argument("--csv-rows", type=int, default=20_000)
    p.add_argument("--events", type=int, default=200_000, help="events seeded for the aggregation (default 200,000)")
    p.add_argument("--customers", type=int, default=1000)
    p.add_argument("--samples", type=int, default=50, help="customers sampled for sum-one")
    p.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of one customer-month")
    p.add_argument("--client-loop", choices=("uvloop", "asyncio"), default="uvloop",
                   help="event loop of the load generator (uvloop: less of the shared CPU spent by the client)")
    args = p.parse_args()
    if args.client_loop == "uvloop":
        import uvloop  # installed with uvicorn[standard]; the server's workers run on it too

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    with tempfile.TemporaryDirectory(prefix="quire-usage-bench-") as tmp:
        for kind in kinds:
            run(kind, args, Path(tmp))


if __name__ == "__main__":
    main()
