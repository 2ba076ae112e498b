"""Console page latency: p50/p90/p99 per page with 10,000 invoices on SQLite (docs/console.md#latency).

    .venv/bin/python bench/console.py [--invoices 10000] [--requests 200]

Seeds a fresh SQLite database with ``bench.suite.seed`` (1,000 customers, the invoices spread over two years
and moved so that the last one is today, so the overview's 12 months are full), a user of that account and a
few documents with lines, starts ``quire serve`` (one uvicorn worker, as ``make run``), signs in like a
browser (the console's cookie and CSRF token), then requests each page one at a time (after a warm-up) and
prints the latency percentiles and the server's CPU time per request. Sequential requests: the figures are
what one person waits, not a throughput. ``make bench`` runs ``measure`` too (bench/suite/pages.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.suite.seed import create_accounts, migrate, seed_invoices  # noqa: E402
from bench.suite.servers import BIN, ServerProcess, free_port  # noqa: E402

PASSWORD = "bench console password"


def _in_db(database_url: str, work: Any) -> Any:
    from quire.config import Settings
    from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction

    async def run() -> Any:
        token = sqlite_write_transaction.set(True)
        engine = make_engine(Settings(database_url=database_url))
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()
            sqlite_write_transaction.reset(token)

    return asyncio.run(run())


def prepare(database_url: str, invoices: int) -> tuple[str, str]:
    """The account's id and the user's email, with ``invoices`` seeded and moved up to today."""
    from sqlalchemy import text

    from quire.users.passwords import hash_password
    from quire.users.service import create_user

    migrate(database_url)
    account = create_accounts(database_url, ["Console bench"])["Console bench"]["sequenceAccountId"]
    seeded = seed_invoices(database_url, account, invoices)
    shift = (date.today() - date(2024, 12, 1)).days
    email = "bench@console.example.com"

    async def work(session: Any) -> None:
        for column in ("issue_date", "due_date", "accounting_date", "sent_date"):
            await session.execute(text(f"UPDATE invoices SET {column} = date({column}, '+{shift} days') "
                                       f"WHERE {column} IS NOT NULL"))
        await create_user(session, email=email, account_ids=[account], password_hash=hash_password(PASSWORD))

    _in_db(database_url, work)
    print(f"seeded {invoices:,} invoices in {seeded.seconds:.1f} s", flush=True)
    return account, email


class Browser:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        self.cookie = ""

    def sign_in(self, email: str) -> None:
        form = self.http.get("/console/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = self.http.post("/console/sign-in", data={"email": email, "password": PASSWORD, "csrf": csrf},
                                headers={"cookie": f"quire_console_signin={csrf}"})
        assert answer.status_code == 303, answer.text[:300]
        self.cookie = answer.headers["set-cookie"].split(";", 1)[0]

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers={"cookie": self.cookie})


def first_id(html: str, attribute: str) -> str:
    return re.search(rf'{attribute}="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def measure(invoices: int = 10_000, requests: int = 200, warmup: int = 20,
            show: Any = None) -> list[dict[str, Any]]:
    """Seed, serve, and time each page: one dict per page (``page``, ``p50_ms``, ``p90_ms``, ``p99_ms``,
    ``cpu_ms_per_request``), each also passed to ``show`` as it is measured. The database is removed after."""
    folder = Path(tempfile.mkdtemp(prefix="quire-console-bench-"))
    database_url = f"sqlite:///{folder}/quire.db"
    results: list[dict[str, Any]] = []
    try:
        account, email = prepare(database_url, invoices)
        port = free_port()
        env = {**os.environ, "QUIRE_DATABASE_URL": database_url, "QUIRE_PERIODIC_IN_APP": "false"}
        server = ServerProcess("quire", [str(BIN / "quire"), "serve", "--host", "127.0.0.1", "--port", str(port),
                                         "--no-migrate"], env, port, folder / "server.log").start()
        try:
            browser, pages = _pages(f"http://127.0.0.1:{port}", account, email)
            for name, path in pages.items():
                results.append(_timed(server, browser, name, path, requests, warmup))
                if show is not None:
                    show(results[-1])
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _pages(base: str, account: str, email: str) -> tuple[Browser, dict[str, str]]:
    """A signed-in browser, and the path of each page (the first invoice and customer listed)."""
    browser = Browser(base)
    browser.sign_in(email)
    a = f"/console/a/{account}"
    invoices_page = browser.get(f"{a}/invoices").text
    invoice = first_id(invoices_page, "data-invoice")
    next_page = re.search(r'after=([^&"]+)', invoices_page).group(1)  # type: ignore[union-attr]
    customer = first_id(browser.get(f"{a}/customers").text, "data-customer")
    pages = {
        "overview": f"{a}/",
        "invoices": f"{a}/invoices",
        "invoices, filtered": f"{a}/invoices?invoiceStatus=SENT&invoicePaymentStatus=UNPAID&invoiceCurrency=GBP",
        "invoices, page 2": f"{a}/invoices?after={next_page}",
        "invoice": f"{a}/invoices/{invoice}",
        "invoice document": f"{a}/invoices/{invoice}/preview",
        "credit notes": f"{a}/credit-notes",
        "customers": f"{a}/customers",
        "customers, search": f"{a}/customers?q=0042",
        "customer": f"{a}/customers/{customer}",
        "customer edit": f"{a}/customers/{customer}/edit",
        "new invoice": f"{a}/invoices/new",
    }
    return browser, pages


def _timed(server: ServerProcess, browser: Browser, name: str, path: str, requests: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        assert browser.get(path).status_code == 200, (name, path)
    server.sampler.begin_window()  # type: ignore[union-attr]
    window = time.perf_counter()
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = browser.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (name, response.status_code)
    sample = server.sampler.end_window()  # type: ignore[union-attr]
    cpu = sample.cpu_percent / 100 * (time.perf_counter() - window) * 1000 / requests
    q = statistics.quantiles(times, n=100)
    return {"page": name, "p50_ms": round(statistics.median(times), 1), "p90_ms": round(q[89], 1),
            "p99_ms": round(q[98], 1), "cpu_ms_per_request": round(cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    print(f"{'page':<22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11}")
    measure(args.invoices, args.requests, args.warmup, show=lambda r: print(
        f"{r['page']:<22} {r['p50_ms']:8.1f} {r['p90_ms']:8.1f} {r['p99_ms']:8.1f} {r['cpu_ms_per_request']:11.1f}",
        flush=True))


if __name__ == "__main__":
    main()
