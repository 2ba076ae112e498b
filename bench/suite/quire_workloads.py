"""Quire's workloads, each against a running server: (a) create, (b) full flow, (c) list, (d) storm.

Each workload warms up first (same requests, not counted), then runs for ``seconds`` (the storm:
``storm_rounds`` rounds of ``storm_size`` simultaneous finalizes). Numbering is checked in the
database itself after the flow and the storm: every number 1..n exactly once.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.suite import seed
from bench.suite.loadgen import TRANSPORTS, Recorder, run_clients
from bench.suite.report import Row, headline, numbering_check
from bench.suite.servers import ServerProcess

LINE = {"title": "Seats", "quantity": "3", "rate": "19.99", "taxRate": "0.2", "externalIds": []}
CUSTOMER = {
    "legalName": "Facebook", "email": "ap@facebook.example", "billingEmails": ["ap@facebook.example"],
    "address": {"line1": "1 Hacker Way", "town": "Menlo Park", "state": "CA", "postcode": "94025", "country": "US"},
}


@dataclass
class Options:
    seconds: float
    warmup: float
    concurrency: int
    client: str
    storm_rounds: int
    storm_size: int
    list_depth: int


@dataclass
class Target:
    server: ServerProcess
    database: str  # sqlite | postgresql
    database_url: str
    config: str  # e.g. uvicorn-2w


def _client_factory(t: Target, opts: Options, creds: dict[str, str] | None, transport: str | None = None) -> Any:
    cls = TRANSPORTS[transport or opts.client]
    auth = (creds["clientId"], creds["clientSecret"]) if creds else None
    return partial(cls, t.server.host, t.server.port, auth=auth)


def _run(coro: Any) -> Any:
    from bench.suite.loadgen import event_loop_runner

    return event_loop_runner()(coro)


def _window(t: Target) -> None:
    assert t.server.sampler is not None
    t.server.sampler.begin_window()


def _sample(t: Target) -> Any:
    assert t.server.sampler is not None
    return t.server.sampler.end_window()


async def _customers(make: Any, n: int) -> list[str]:
    rec = Recorder()
    ids: list[str] = []

    async def one(client: Any, rec: Recorder, _i: int) -> None:
        r = await rec.call("setup", client, "POST", "/customers", json_body=CUSTOMER)
        if r is None or not r.ok:
            raise RuntimeError(f"cannot create a customer: {rec.error_samples}")
        ids.append(r.json()["customer"]["id"])

    await run_clients(make, min(n, 8), one, iterations=max(1, n // min(n, 8)))
    return ids


# --- the /health ceiling ---------------------------------------------------------------------------------


def health_ceiling(t: Target, opts: Options, transport: str, seconds: float) -> list[Row]:
    """GET /health (no auth, no database): the most this server and this client can exchange together."""
    make = _client_factory(t, opts, None, transport)

    async def one(client: Any, rec: Recorder, _i: int) -> None:
        await rec.call("GET /health", client, "GET", "/health")

    async def go() -> Any:
        await run_clients(make, opts.concurrency, one, seconds=min(0.5, opts.warmup))
        _window(t)
        return await run_clients(make, opts.concurrency, one, seconds=seconds)

    rec, elapsed, done = _run(go())
    return headline(t.database, t.config, f"ceiling GET /health ({transport})", "req/s", rec, elapsed, done, _sample(t))


# --- (a) POST /invoices ------------------------------------------------------------------------------------


def create_invoice(t: Target, opts: Options, creds: dict[str, str]) -> list[Row]:
    make = _client_factory(t, opts, creds)

    async def go() -> Any:
        customers = await _customers(make, opts.concurrency)

        async def one(client: Any, rec: Recorder, i: int) -> None:
            await rec.call("POST /invoices", client, "POST", "/invoices",
                           json_body={"currency": "GBP", "customerId": customers[i % len(customers)]})

        await run_clients(make, opts.concurrency, one, seconds=opts.warmup)
        _window(t)
        return await run_clients(make, opts.concurrency, one, seconds=opts.seconds)

    rec, elapsed, done = _run(go())
    return headline(t.database, t.config, "create-invoice", "req/s", rec, elapsed, done, _sample(t),
                    notes={"error_samples": rec.error_samples})


# --- (b) the full flow ---------------------------------------------------------------------------------------


async def _flow(customers: list[str], numbers: list[str], client: Any, rec: Recorder, i: int) -> bool:
    began = time.perf_counter()
    r = await rec.call("POST /invoices", client, "POST", "/invoices",
                       json_body={"currency": "GBP", "customerId": customers[i % len(customers)], "memo": "Thanks"})
    if r is None or not r.ok:
        return False
    invoice = r.json()["id"]
    for _ in range(3):
        r = await rec.call("POST /invoices/{id}/line-items", client, "POST", f"/invoices/{invoice}/line-items",
                           json_body=LINE)
        if r is None or not r.ok:
            return False
    r = await rec.call("POST /invoices/{id}/finalize", client, "POST", f"/invoices/{invoice}/finalize")
    if r is None or not r.ok:
        return False
    numbers.append(r.json().get("invoiceNumber"))
    rec.record("~flow", time.perf_counter() - began)
    return True


def full_flow(t: Target, opts: Options, creds: dict[str, str]) -> list[Row]:
    """Create a customer-bound invoice, add 3 lines, finalize; on a fresh account so its numbers start at 1."""
    make = _client_factory(t, opts, creds)
    numbers: list[str] = []
    completed = 0

    async def go() -> Any:
        nonlocal completed
        customers = await _customers(make, opts.concurrency)
        warm: list[str] = []

        async def warmup(client: Any, rec: Recorder, i: int) -> None:
            await _flow(customers, warm, client, rec, i)

        await run_clients(make, opts.concurrency, warmup, seconds=opts.warmup)

        async def one(client: Any, rec: Recorder, i: int) -> None:
            nonlocal completed
            if await _flow(customers, numbers, client, rec, i):
                completed += 1

        _window(t)
        result = await run_clients(make, opts.concurrency, one, seconds=opts.seconds)
        return result, len(warm)

    (rec, elapsed, _done), warmed = _run(go())
    sample = _sample(t)
    check = numbering_check(db_numbers(t, creds["sequenceAccountId"]), expected=warmed + completed)
    return headline(t.database, t.config, "full-flow", "inv/s", rec, elapsed, completed, sample, latency_op="~flow",
                    sub_ops=["POST /invoices", "POST /invoices/{id}/line-items", "POST /invoices/{id}/finalize"],
                    notes={"numbering": check, "error_samples": rec.error_samples})


# --- (c) GET /invoices over the seeded account -------------------------------------------------------------------


def _patterns(seeded: seed.Seeded, rnd: random.Random) -> list[tuple[str, dict[str, str], bool]]:
    """(name, query, can start from a minted createdAt cursor)."""
    after, before = seed.day_range(rnd, seeded)
    return [
        ("all", {}, True),
        ("status=SENT", {"invoiceStatus": "SENT"}, True),
        ("status=FINAL,SENT&currency=USD", {"invoiceStatus": "FINAL,SENT", "invoiceCurrency": "USD"}, True),
        ("customerId", {"customerId": rnd.choice(seeded.customer_ids)}, True),
        ("dueAfter&dueBefore (30 days)", {"dueAfter": after.isoformat(), "dueBefore": before.isoformat()}, True),
        ("paymentStatus=PAID", {"invoicePaymentStatus": "PAID"}, True),
        ("sortBy=GROSS_TOTAL", {"sortBy": "GROSS_TOTAL"}, False),
    ]


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return "/invoices?" + urlencode({"limit": "50", **params})


def list_invoices(t: Target, opts: Options, creds: dict[str, str], seeded: seed.Seeded) -> list[Row]:
    """Each client takes the next filter and reads page 1; then one page from a cursor at a random depth
    of the seeded rows (minted like Quire's own, same secret: what a client that had paged that far would
    send); then it follows page 1's ``after`` cursor to page ``list_depth``."""
    make = _client_factory(t, opts, creds)
    rnd = random.Random(7)
    until = [0.0]  # a client stops between pages once the run's time is up (pages can be slow at 1M rows)

    async def one(client: Any, rec: Recorder, i: int) -> None:
        patterns = _patterns(seeded, rnd)
        name, params, jump = patterns[(i + len(rec.latencies.get("~page 1", []))) % len(patterns)]
        after = None
        for depth in range(1, opts.list_depth + 1):
            if time.perf_counter() > until[0]:
                return
            q = dict(params, after=after) if after else params
            bucket = "~page 1" if depth == 1 else f"~pages 2-{opts.list_depth}"
            r = await rec.call("GET /invoices", client, "GET", _query(q), also=(bucket, f"~filter {name}"))
            if r is None or not r.ok:
                return
            after = r.json().get("pagination", {}).get("after")
            if not after:
                break
            if depth == 1 and jump and seeded.anchors and time.perf_counter() <= until[0]:
                cursor = seed.deep_cursor(rnd.choice(seeded.anchors))
                if cursor:
                    await rec.call("GET /invoices", client, "GET", _query(dict(params, after=cursor)),
                                   also=("~deep page (cursor at random depth)", f"~filter {name}"))

    async def go() -> Any:
        until[0] = time.perf_counter() + opts.warmup
        await run_clients(make, opts.concurrency, one, seconds=opts.warmup)
        _window(t)
        until[0] = time.perf_counter() + opts.seconds
        return await run_clients(make, opts.concurrency, one, seconds=opts.seconds)

    rec, elapsed, _done = _run(go())
    pages = len(rec.latencies.get("GET /invoices", []))
    filters = {op[len("~filter "):]: s.as_json() for op, s in ((s.name, s) for s in rec.stats(elapsed))
               if op.startswith("~filter ")}
    return headline(t.database, t.config, "list", "req/s", rec, elapsed, pages, _sample(t),
                    sub_ops=["~page 1", f"~pages 2-{opts.list_depth}", "~deep page (cursor at random depth)"],
                    notes={"by_filter": filters, "error_samples": rec.error_samples, "seeded": seeded.count})


# --- (d) the finalize storm ---------------------------------------------------------------------------------------


def finalize_storm(t: Target, opts: Options, creds: dict[str, str]) -> list[Row]:
    """``storm_size`` drafts (one line each) finalized at the same instant by as many clients, ``storm_rounds``
    times, on one fresh account; then every number is checked in the database."""
    make = _client_factory(t, opts, creds)
    total = Recorder()
    elapsed_total = 0.0
    finalized = 0

    async def go() -> None:
        nonlocal elapsed_total, finalized
        customers = await _customers(make, 1)
        first = True
        for _round in range(opts.storm_rounds):
            drafts: list[str] = []

            async def prepare(client: Any, rec: Recorder, i: int) -> None:
                r = await rec.call("setup", client, "POST", "/invoices",
                                   json_body={"currency": "GBP", "customerId": customers[0]})
                if r is not None and r.ok:
                    inv = r.json()["id"]
                    await rec.call("setup", client, "POST", f"/invoices/{inv}/line-items", json_body=LINE)
                    drafts.append(inv)

            setup = Recorder()
            await run_clients(make, min(16, opts.storm_size), prepare, iterations=opts.storm_size // min(16, opts.storm_size),
                              recorder=setup)
            while len(drafts) < opts.storm_size:
                await run_clients(make, 1, prepare, iterations=1, recorder=setup)

            async def fire(client: Any, rec: Recorder, i: int) -> None:
                await rec.call("POST /invoices/{id}/finalize", client, "POST", f"/invoices/{drafts[i]}/finalize")

            if first:
                _window(t)
                first = False
            _rec, elapsed, done = await run_clients(make, opts.storm_size, fire, iterations=1, recorder=total)
            elapsed_total += elapsed
            finalized += done

    _run(go())
    sample = _sample(t)
    ok = finalized - total.errors.get("POST /invoices/{id}/finalize", 0)
    check = numbering_check(db_numbers(t, creds["sequenceAccountId"]), expected=ok)
    return headline(t.database, t.config, "finalize-storm", "fin/s", total, elapsed_total, ok, sample,
                    notes={"numbering": check, "error_samples": total.error_samples,
                           "rounds": opts.storm_rounds, "size": opts.storm_size})


# --- numbering, read from the database ---------------------------------------------------------------------------


def db_numbers(t: Target, account_id: str) -> list[str]:
    sql = "SELECT invoice_number FROM invoices WHERE account_id = {} AND invoice_number IS NOT NULL"
    if t.database == "sqlite":
        path = t.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as conn:
            return [r[0] for r in conn.execute(sql.format("?"), (account_id,))]

    async def pg() -> list[str]:
        import asyncpg

        conn = await asyncpg.connect(t.database_url)
        try:
            return [r[0] for r in await conn.fetch(sql.format("$1"), account_id)]
        finally:
            await conn.close()

    return asyncio.run(pg())
