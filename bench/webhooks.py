"""Webhook delivery throughput (docs/webhooks.md#throughput): N events recorded (100 per transaction, as
the domains record them), one policy with 3 local receiver URLs, then ``quire worker`` process(es) deliver
every (event, URL) pair; the clock runs from the workers' start to the last DELIVERED row. Usage:
    .venv/bin/python bench/webhooks.py sqlite|postgresql [--events 10000] [--workers 1] [--concurrency 8]

The receivers run in this process (HTTP/1.1 keep-alive, answer 200 at once) and check every signature.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    """User + system CPU time of a live process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def record(settings: Settings, urls: list[str], events: int) -> tuple[str, float]:
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    token = sqlite_write_transaction.set(True)
    try:
        async with sessions() as session:
            account = (await create_account(session, name="Webhook bench")).account_id
            policy = await create_policy(session, account, PolicyCreate.model_validate(
                {"name": "bench", "channel": "WEBHOOK", "recipients": urls}))
            await session.commit()
        started = time.perf_counter()
        for start in range(0, events, 100):
            async with sessions() as session:
                for n in range(start, min(start + 100, events)):
                    await record_event(session, account, "CUSTOMER_CREATED", "Customer", f"c-{n}",
                                       {"id": f"c-{n}", "legalName": f"Customer {n} Ltd"})
                await session.commit()
        return policy.webhook_secret or "", time.perf_counter() - started
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db" if args.database == "sqlite" else create_pg_database()
    settings = Settings(database_url=url)
    upgrade(settings)
    counter, secret = Counter(), [""]
    servers = [receiver(counter, secret) for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}/hook" for _, port in servers]
    secret[0], recording = asyncio.run(record(settings, urls, args.events))
    total = 3 * args.events
    print(f"{args.database}: {args.events} events recorded in {recording:.1f} s "
          f"({recording / args.events * 1000:.2f} ms each, 100 per transaction)")
    env = {**os.environ, "QUIRE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    workers = [subprocess.Popen([sys.executable, *profile, "-m", "quire.cli", "worker", "--queues", "webhooks",
                                 "--concurrency", str(args.concurrency)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.workers)]
    try:
        while True:
            time.sleep(1)
            done = asyncio.run(delivered(settings))
            elapsed = time.perf_counter() - started
            if done >= total or elapsed > 600:
                break
    finally:
        cpu = sum(cpu_seconds(worker.pid) for worker in workers)
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        for server, _ in servers:
            server.shutdown()
        if args.database == "postgresql":
            drop_pg_database(url)
    print(f"{args.database}: {done}/{total} deliveries DELIVERED in {elapsed:.1f} s ({done / elapsed:.0f}/s) by "
          f"{args.workers} worker(s) x concurrency {args.concurrency}, worker start included, {cpu:.1f} s of worker "
          f"CPU ({cpu / max(done, 1) * 1000:.2f} ms a delivery); load average {os.getloadavg()[0]:.1f}; "
          f"receivers saw {counter.seen} requests, {counter.bad} with a bad signature")


if __name__ == "__main__":
    main()
