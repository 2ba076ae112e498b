"""Webhook delivery throughput (docs/webhooks.md#throughput): N events recorded (100 per transaction, as
the domains record them), one policy with 3 local receiver URLs, then ``quire worker`` process(es) deliver
every (event, URL) pair; the clock runs from the workers' start to the last DELIVERED row. Usage:
    .venv/bin/python bench/webhooks.py sqlite|postgresql [--events 10000] [--workers 1] [--concurrency 8]
                                       [--api-seconds 10]

The API's rate meanwhile (``--api-seconds``, 0 to skip): a ``quire serve`` process on the same database
(jobs left to the workers) answers 4 clients, each creating a draft invoice (``POST /invoices``, a write)
then reading it back, for that long before the workers start (alone) and again while they deliver.
The policy is for CUSTOMER_CREATED only, so the API's invoices add no deliveries.

The receivers run in this process (HTTP/1.1 keep-alive, answer 200 at once) and check every signature.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.suite.loadgen import RawHttp, Recorder, run_clients  # noqa: E402
from quire.accounts.service import create_account  # noqa: E402
from quire.config import Settings  # noqa: E402
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction  # noqa: E402
from quire.core.migrate import upgrade  # noqa: E402
from quire.notifications.events import record_event  # noqa: E402
from quire.notifications.models import WebhookDelivery  # noqa: E402
from quire.notifications.policies import create_policy  # noqa: E402
from quire.notifications.schemas import PolicyCreate  # noqa: E402
from tests.support import create_pg_database, drop_pg_database, free_port  # noqa: E402
from tests.webhook_support import verify  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen = 0
        self.bad = 0


def receiver(counter: Counter, secret: list[str]) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            good = verify(secret[0], self.headers["Sequence-Signature"], body)
            with counter.lock:
                counter.seen += 1
                counter.bad += not good
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a live process and its live descendants: `quire serve` runs the app in
    granian's worker processes, the supervisor alone would count almost nothing."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in (root, *root.children(recursive=True)):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def record(settings: Settings, urls: list[str], events: int) -> tuple[str, float, tuple[str, str], str]:
    """An account, its policy for ``urls`` and ``events`` events: (secret, seconds recording, credential, account)."""
    engine = make_engine(settings)
    token = sqlite_write_transaction.set(True)
    try:
        async with make_sessionmaker(engine)() as session:
            credential = await create_account(session, name="Webhook bench")
            policy = await create_policy(session, credential.account_id, PolicyCreate.model_validate(
                {"name": "bench", "channel": "WEBHOOK", "recipients": urls, "notificationTypes": ["CUSTOMER_CREATED"]}))
            await session.commit()
    finally:
        sqlite_write_transaction.reset(token)
        await engine.dispose()
    seconds = await add_events(settings, credential.account_id, events)
    return (policy.webhook_secret or "", seconds, (credential.client_id, credential.client_secret),
            credential.account_id)


async def add_events(settings: Settings, account: str, events: int) -> float:
    """``events`` CUSTOMER_CREATED events, 100 per transaction, as the domains record them; seconds taken."""
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    token = sqlite_write_transaction.set(True)
    try:
        started = time.perf_counter()
        for start in range(0, events, 100):
            async with sessions() as session:
                for n in range(start, min(start + 100, events)):
                    await record_event(session, account, "CUSTOMER_CREATED", "Customer", f"c-{n}",
                                       {"id": f"c-{n}", "legalName": f"Customer {n} Ltd"})
                await session.commit()
        return time.perf_counter() - started
    finally:
        sqlite_write_transaction.reset(token)
        await engine.dispose()


async def delivered(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)
                                             .where(WebhookDelivery.status == "DELIVERED")) or 0)
    finally:
        await engine.dispose()


def start_api(url: str, *, in_app: bool = False) -> tuple[subprocess.Popen[bytes], int]:
    """``quire serve`` on the bench's database, one process, leaving every job to the workers (or, ``in_app``,
    delivering itself: the default configuration)."""
    port = free_port()
    env = {**os.environ, "QUIRE_DATABASE_URL": url, "PYTHONPATH": str(ROOT),
           "QUIRE_JOBS_IN_APP": "true" if in_app else "false", "QUIRE_PERIODIC_IN_APP": "false"}
    api = subprocess.Popen([sys.executable, "-m", "quire.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                            "--no-migrate"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return api, port
        except OSError:
            time.sleep(0.2)
    api.kill()
    raise RuntimeError("quire serve did not start")


async def api_rate(port: int, auth: tuple[str, str], seconds: float, customer: list[str]) -> dict[str, float]:
    """4 clients: create a draft invoice, read it back; requests/s, p50 and p99 (ms) over ``seconds``."""
    def make() -> RawHttp:
        return RawHttp("127.0.0.1", port, auth=auth)

    if not customer:
        recorder = Recorder()
        [client] = [make()]
        reply = await recorder.call("setup", client, "POST", "/customers", json_body={
            "legalName": "Bench Ltd", "contact": {"name": "a"}, "email": "a@example.com", "billingEmails": [],
            "address": {"line1": "1 High St", "town": "London", "postcode": "N1", "country": "GB"}})
        client.close()
        if reply is None or not reply.ok:
            raise RuntimeError(f"cannot create a customer: {recorder.error_samples}")
        customer.append(reply.json()["customer"]["id"])

    async def one(client: RawHttp, recorder: Recorder, index: int) -> None:
        reply = await recorder.call("POST /invoices", client, "POST", "/invoices",
                                    json_body={"currency": "GBP", "customerId": customer[0]})
        if reply is not None and reply.ok:
            await recorder.call("GET /invoices/{id}", client, "GET", f"/invoices/{reply.json()['id']}")

    recorder, elapsed, _ = await run_clients(make, 4, one, seconds=seconds)
    latencies = sorted(v for values in recorder.latencies.values() for v in values)
    return {"requests_per_s": round(recorder.total_requests / elapsed, 1), "errors": recorder.total_errors,
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else 0.0,
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--api-seconds", type=float, default=10.0)
    parser.add_argument("--worker-nice", type=int, default=0, help="run the workers under `nice -n N`")
    parser.add_argument("--in-app", action="store_true",
                        help="no `quire worker`: the `quire serve` process delivers (QUIRE_JOBS_IN_APP=true, the "
                             "default); the clock starts when the events start being recorded")
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db" if args.database == "sqlite" else create_pg_database()
    settings = Settings(database_url=url)
    upgrade(settings)
    counter, secret = Counter(), [""]
    servers = [receiver(counter, secret) for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}/hook" for _, port in servers]
    if args.in_app:
        in_app(args, settings, url, urls, counter, secret, servers)
        return
    secret[0], recording, auth, _ = asyncio.run(record(settings, urls, args.events))
    total = 3 * args.events
    print(f"{args.database}: {args.events} events recorded in {recording:.1f} s "
          f"({recording / args.events * 1000:.2f} ms each, 100 per transaction)")
    api, customer, rates = None, [], {}
    if args.api_seconds:
        api, port = start_api(url)
        rates["alone"] = asyncio.run(api_rate(port, auth, args.api_seconds, customer))
    total += 3 * len(customer)  # the API's customer: one CUSTOMER_CREATED event
    env = {**os.environ, "QUIRE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    workers = [subprocess.Popen([*nice, sys.executable, *profile, "-m", "quire.cli", "worker", "--queues", "webhooks",
                                 "--concurrency", str(args.concurrency)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.workers)]
    try:
        if api is not None:
            time.sleep(2)  # the workers' start-up
            rates["while delivering"] = asyncio.run(api_rate(port, auth, args.api_seconds, customer))
        done, elapsed = wait_delivered(settings, total, started)
    finally:
        cpu = sum(cpu_seconds(worker.pid) for worker in workers)
        tear_down([*workers, *([api] if api is not None else [])], servers, args.database, url)
    print(f"{args.database}: {done}/{total} deliveries DELIVERED in {elapsed:.1f} s ({done / elapsed:.0f}/s) by "
          f"{args.workers} worker(s) x concurrency {args.concurrency} (nice {args.worker_nice}), worker start "
          f"included, {cpu:.1f} s of worker "
          f"CPU ({cpu / max(done, 1) * 1000:.2f} ms a delivery); load average {os.getloadavg()[0]:.1f}; "
          f"receivers saw {counter.seen} requests, {counter.bad} with a bad signature")
    print_rates(args.database, rates)


def tear_down(processes: list[subprocess.Popen[bytes]], servers: list[tuple[ThreadingHTTPServer, int]],
              database: str, url: str) -> None:
    """Stop the bench's processes (workers, API) and receivers; drop its PostgreSQL database."""
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
    for server, _ in servers:
        server.shutdown()
    if database == "postgresql":
        drop_pg_database(url)


def print_rates(database: str, rates: dict[str, dict[str, float]]) -> None:
    for when, rate in rates.items():
        print(f"{database}: the API {when}: {rate['requests_per_s']} requests/s (POST /invoices + GET), "
              f"p50 {rate['p50_ms']} ms, p99 {rate['p99_ms']} ms, {rate['errors']} errors")


def wait_delivered(settings: Settings, total: int, started: float) -> tuple[int, float]:
    """Poll until ``total`` deliveries are DELIVERED (or 600 s): (delivered, seconds since ``started``)."""
    while True:
        time.sleep(1)
        done = asyncio.run(delivered(settings))
        elapsed = time.perf_counter() - started
        if done >= total or elapsed > 600:
            return done, elapsed


def in_app(args: argparse.Namespace, settings: Settings, url: str, urls: list[str], counter: Counter,
           secret: list[str], servers: list[tuple[ThreadingHTTPServer, int]]) -> None:
    """The default shape: ``quire serve`` delivers in its own process. Its API is measured before any event
    exists, then while the events are recorded (by this process) and delivered."""
    secret[0], _, auth, account = asyncio.run(record(settings, urls, 0))
    api, port = start_api(url, in_app=True)
    customer: list[str] = []
    rates = {"alone": asyncio.run(api_rate(port, auth, args.api_seconds, customer))} if args.api_seconds else {}
    total = 3 * (args.events + len(customer))
    cpu_before = cpu_seconds(api.pid)
    try:
        started = time.perf_counter()
        recording = asyncio.run(add_events(settings, account, args.events))
        if args.api_seconds:
            rates["while delivering"] = asyncio.run(api_rate(port, auth, args.api_seconds, customer))
        done, elapsed = wait_delivered(settings, total, started)
        cpu = cpu_seconds(api.pid) - cpu_before
    finally:
        tear_down([api], servers, args.database, url)
    print(f"{args.database}: {done}/{total} deliveries DELIVERED in {elapsed:.1f} s ({done / elapsed:.0f}/s) by the "
          f"`quire serve` process itself (events recorded meanwhile in {recording:.1f} s, included), {cpu:.1f} s of "
          f"its CPU (API requests included); load average {os.getloadavg()[0]:.1f}; receivers saw {counter.seen} "
          f"requests, {counter.bad} with a bad signature")
    print_rates(args.database, rates)


if __name__ == "__main__":
    main()
