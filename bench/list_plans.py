"""Where a page of GET /invoices spends its time, per query shape, on PostgreSQL and SQLite (issue 16).

    .venv/bin/python bench/list_plans.py --invoices 1000000                # seed once (kept), then measure
    .venv/bin/python bench/list_plans.py --invoices 1000000 --explain      # + the plan of every statement
    .venv/bin/python bench/list_plans.py --databases sqlite --repeat 50

The databases are seeded once by the bench's bulk path (``bench/suite/seed.py``) and kept between runs
(PostgreSQL ``quire_listplans_<n>``, next to QUIRE_TEST_DATABASE_URL; SQLite in ``--dir``), so that a
change of code or of indexes can be measured against the same rows: every run first migrates them
(a new index migration is applied then). ``--drop`` removes them.

For each shape of the bench's list workload (``bench/suite/quire_workloads._patterns``, plus the other
sorts and ASC) it requests, in process through the app's ASGI interface: page 1 (no cursor, with its
count), page 2 (page 1's ``after``) and a page from a cursor minted at a random depth, and prints the
median wall time and CPU time of this process per request. ``--explain`` captures the SQL each request
runs on ``invoices`` and prints its plan with timings (PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)``;
SQLite ``EXPLAIN QUERY PLAN`` and the statement's own median time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.suite import seed
from tests.support import _pg_exec, pg_admin_url

SECRET = "list-plans-secret"
os.environ["QUIRE_SECRET_KEY"] = SECRET  # seed.deep_cursor mints with the environment's key


def shapes(seeded: dict[str, Any], rnd: random.Random) -> list[tuple[str, dict[str, str], str | None]]:
    """(name, query, sort of a minted deep cursor or None). The bench's seven, then the other sorts."""
    first = seed.Seeded(seeded["account_id"], seeded["count"], seeded["customer_ids"],
                        [(_dt(a), i) for a, i in seeded["anchors"]], 0)
    after, before = seed.day_range(rnd, first)
    return [
        ("all", {}, "createdAt"),
        ("status=SENT", {"invoiceStatus": "SENT"}, "createdAt"),
        ("status=FINAL,SENT&currency=USD", {"invoiceStatus": "FINAL,SENT", "invoiceCurrency": "USD"}, "createdAt"),
        ("customerId", {"customerId": rnd.choice(seeded["customer_ids"])}, "createdAt"),
        ("dueAfter&dueBefore (30 days)", {"dueAfter": after.isoformat(), "dueBefore": before.isoformat()}, "createdAt"),
        ("paymentStatus=PAID", {"invoicePaymentStatus": "PAID"}, "createdAt"),
        ("sortBy=GROSS_TOTAL", {"sortBy": "GROSS_TOTAL"}, None),
        ("all ASC", {"sortOrder": "ASC"}, None),
        ("sortBy=GROSS_TOTAL ASC", {"sortBy": "GROSS_TOTAL", "sortOrder": "ASC"}, None),
        ("sortBy=CUSTOMER_LEGAL_COMPANY_NAME", {"sortBy": "CUSTOMER_LEGAL_COMPANY_NAME"}, None),
        ("sortBy=ACCOUNTING_DATE", {"sortBy": "ACCOUNTING_DATE"}, None),
        ("status=SENT&sortBy=GROSS_TOTAL", {"invoiceStatus": "SENT", "sortBy": "GROSS_TOTAL"}, None),
    ]


def _dt(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


# --- the databases, seeded once --------------------------------------------------------------------------------------


def pg_url(count: int) -> str:
    return pg_admin_url().rsplit("/", 1)[0] + f"/quire_listplans_{count}"


def prepare(database: str, count: int, directory: Path) -> tuple[str, dict[str, Any]]:
    """The database's URL and its seeded facts (account credential, customers, anchors); seeded if new."""
    directory.mkdir(parents=True, exist_ok=True)
    facts_path = directory / f"listplans-{database}-{count}.json"
    url = pg_url(count) if database == "postgresql" else f"sqlite:///{directory / f'listplans-{count}.db'}"
    if not facts_path.exists():
        if database == "postgresql":
            asyncio.run(_pg_exec(pg_admin_url(), f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            asyncio.run(_pg_exec(pg_admin_url(), f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
        else:
            Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
        seed.migrate(url)
        cred = seed.create_accounts(url, ["listplans"])["listplans"]
        print(f"# seeding {count:,} invoices on {database} ...", flush=True)
        seeded = seed.seed_invoices(url, cred["sequenceAccountId"], count)
        facts = {"credential": cred, "account_id": seeded.account_id, "count": seeded.count,
                 "customer_ids": seeded.customer_ids, "anchors": [(a.isoformat(), i) for a, i in seeded.anchors]}
        facts_path.write_text(json.dumps(facts))
        print(f"# seeded in {seeded.seconds:.1f} s", flush=True)
    seed.migrate(url)  # applies any migration added since the seeding (a new index)
    return url, json.loads(facts_path.read_text())


# --- capturing and explaining the statements -------------------------------------------------------------------------


CAPTURED: list[tuple[str, Any]] = []
CAPTURING = [False]


@event.listens_for(Engine, "before_cursor_execute")
def _capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if CAPTURING[0] and " invoices" in statement and statement.lstrip().upper().startswith("SELECT"):
        CAPTURED.append((statement, parameters))


async def explain_pg(url: str, statement: str, parameters: Any) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *(parameters or ()))
        return [r[0] for r in rows]
    finally:
        await conn.close()


def explain_sqlite(url: str, statement: str, parameters: Any, repeat: int = 20) -> list[str]:
    conn = sqlite3.connect(url[len("sqlite:///"):])
    try:
        plan = [f"{r[3]}" for r in conn.execute("EXPLAIN QUERY PLAN " + statement, tuple(parameters or ()))]
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            conn.execute(statement, tuple(parameters or ())).fetchall()
            times.append(time.perf_counter() - t)
        return plan + [f"statement alone: median {statistics.median(times) * 1000:.2f} ms over {repeat}"]
    finally:
        conn.close()


# --- measuring ------------------------------------------------------------------------------------------------------


async def measure(database: str, url: str, facts: dict[str, Any], repeat: int, explain: bool, only: str | None) -> None:
    from quire.app import create_app
    from quire.config import Settings
    from quire.core.pagination import SortOrder, encode_cursor

    settings = Settings(database_url=url, secret_key=SECRET)
    app = create_app(settings)
    cred = facts["credential"]
    rnd = random.Random(16)
    print(f"\n## {database}: {facts['count']:,} invoices  (median of {repeat}; wall ms / CPU ms per request)")
    print(f"{'shape':<40} {'page 1':>15} {'page 2':>15} {'deep page':>15}  count on page 1")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://quire",
                                     auth=(cred["clientId"], cred["clientSecret"])) as c:
            for name, params, deep_sort in shapes(facts, rnd):
                if only and only not in name:
                    continue
                base = {"limit": "50", **params}
                first = (await c.get("/invoices", params=base)).json()
                after = first["pagination"].get("after")
                anchor = facts["anchors"][len(facts["anchors"]) // 3]
                deep = encode_cursor(deep_sort, SortOrder.DESC, _dt(anchor[0]), anchor[1], issuer="GET /invoices") \
                    if deep_sort else None
                requests: list[tuple[str, dict[str, str] | None]] = [
                    ("page 1", base), ("page 2", dict(base, after=after) if after else None),
                    ("deep", dict(base, after=deep) if deep else None)]
                cells = []
                for label, query in requests:
                    if query is None:
                        cells.append("-")
                        continue
                    walls, cpus = [], []
                    for _ in range(repeat):
                        w, p = time.perf_counter(), time.process_time()
                        r = await c.get("/invoices", params=query)
                        walls.append(time.perf_counter() - w)
                        cpus.append(time.process_time() - p)
                        assert r.status_code == 200, r.text
                    cells.append(f"{statistics.median(walls) * 1000:6.1f} / {statistics.median(cpus) * 1000:5.1f}")
                total = first["pagination"].get("totalResultSize", "omitted")
                print(f"{name:<40} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}  {total}", flush=True)
                if explain:
                    for label, query in requests:
                        if query is None:
                            continue
                        CAPTURED.clear()
                        CAPTURING[0] = True
                        await c.get("/invoices", params=query)
                        CAPTURING[0] = False
                        for statement, parameters in CAPTURED[:]:
                            kind = "count" if "count(" in statement.lower() else "page"
                            lines = (await explain_pg(url, statement, parameters) if database == "postgresql"
                                     else explain_sqlite(url, statement, parameters))
                            print(f"    [{label} {kind}]")
                            for line in lines:
                                print(f"      {line}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--invoices", type=int, default=1_000_000)
    p.add_argument("--databases", default="postgresql,sqlite")
    p.add_argument("--dir", type=Path, default=Path("/tmp/quire-listplans"))
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--explain", action="store_true")
    p.add_argument("--only", help="shapes whose name contains this")
    p.add_argument("--drop", action="store_true", help="drop the kept databases and exit")
    a = p.parse_args()
    for database in a.databases.split(","):
        if a.drop:
            (a.dir / f"listplans-{database}-{a.invoices}.json").unlink(missing_ok=True)
            if database == "postgresql":
                asyncio.run(_pg_exec(pg_admin_url(), f'DROP DATABASE IF EXISTS "quire_listplans_{a.invoices}" WITH (FORCE)'))
            else:
                (a.dir / f"listplans-{a.invoices}.db").unlink(missing_ok=True)
            continue
        url, facts = prepare(database, a.invoices, a.dir)
        asyncio.run(measure(database, url, facts, a.repeat, a.explain, a.only))


if __name__ == "__main__":
    main()
