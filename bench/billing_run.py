"""A billing run at scale (issue 14): N active monthly schedules on PostgreSQL, billed by two workers.

    .venv/bin/python bench/billing_run.py                      # 100,000 schedules (~4 min with seeding)
    .venv/bin/python bench/billing_run.py --schedules 10000    # smaller
    make bench-billing BILLING_ARGS="--schedules 10000"

Workload: a fresh PostgreSQL database next to QUIRE_TEST_DATABASE_URL (dropped afterwards unless --keep);
one account with a seller; one schedule made through the API (``quire serve``): a customer, a usage metric
(SUM of ``n``), a monthly in-arrears FIXED price of £100 and a monthly LINEAR usage price at £0.01 a
unit, starting 2026-01-01. It is then cloned by COPY into N customers each with its schedule (the same
rows as the API wrote: every table keyed by the schedule), and --events-per-customer usage events each
in January (COPY), then ANALYZE.

The run: ``quire billing run --as-of 2026-01-31 --defer`` (one ``billing.run_chunk`` job per 500
schedules) worked by two ``quire worker --queues billing`` processes (default concurrency 4 each), timed
from the defer to the last job done; then the same again (every invoice must be unchanged: 0 created).
Each schedule's January invoice (both prices) is due as of 31 January, still IN_PROGRESS (its period
ends that day): one invoice, two groups and two lines per schedule. ``--as-of 2026-02-01`` makes it
DRAFT instead and adds February's IN_PROGRESS invoice (two invoices a schedule); ``--then 2026-02-01``
runs that as a third run, after the two (the month end: January's invoices become DRAFT).

Prints: wall time, invoices/s, peak RSS of each worker (VmHWM), the second run's time and created count,
and one JSON line with all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.suite.seed import MERCHANT  # noqa: E402
from bench.suite.servers import create_pg_database, drop_pg_database, machine  # noqa: E402
from bench.usage import start_server, stop_server  # noqa: E402
from quire.config import Settings  # noqa: E402
from quire.core.ids import uuid7  # noqa: E402

QUIRE = str(Path(sys.executable).with_name("quire"))
START = "2026-01-01"
COPY_ROWS = 50_000


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schedules", type=int, default=100_000)
    p.add_argument("--events-per-customer", type=int, default=3)
    p.add_argument("--as-of", default="2026-01-31")
    p.add_argument("--then", default=None, help="a third run as of this later date, e.g. 2026-02-01 (month end: "
                   "every IN_PROGRESS invoice becomes DRAFT, the next month's is created)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--worker-concurrency", type=int, default=4)
    p.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    p.add_argument("--json", action="store_true", help="accepted for bench/run.py; the last line is always the JSON")
    return p.parse_args()


def pg(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# --- seeding --------------------------------------------------------------------------------------


def template(url: str, workdir: Path) -> dict[str, str]:
    """Account, prices and one schedule through the API; their ids."""
    from quire.accounts.service import create_account
    from quire.core.db import make_engine, make_sessionmaker

    async def account() -> Any:
        engine = make_engine(Settings(database_url=url))
        try:
            async with make_sessionmaker(engine)() as session:
                cred = await create_account(session, name="Billing bench", merchant_settings=MERCHANT)
                await session.commit()
                return cred
        finally:
            await engine.dispose()

    cred = asyncio.run(account())
    proc, port = start_server(url, workdir)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=(cred.client_id, cred.client_secret),
                          headers={"Sequence-Version": "2024-01-01"}, timeout=30) as http:
            def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
                response = http.post(path, json=body)
                assert response.status_code == 201, (path, response.text)
                return response.json()

            customer = post("/customers", {"legalName": "Template Ltd", "email": "ap@template.example",
                                           "billingEmails": ["ap@template.example"],
                                           "address": {"line1": "1 Road", "town": "London", "postcode": "N1 1AA",
                                                       "country": "GB"}})["customer"]
            metric = post("/usage-metrics", {"name": "API calls", "metricType": "SIMPLE", "eventType": "api_call",
                                             "aggregationType": "SUM", "aggregationProperty": "n"})
            product = post("/products", {"name": "Platform"})
            common = {"productId": product["id"], "currency": "GBP", "billingFrequency": "MONTHLY",
                      "billingType": "IN_ARREARS", "externalIds": []}
            fee = post("/prices", {**common, "name": "Platform fee", "structure": {"pricingType": "FIXED", "price": "100.00"}})
            calls = post("/prices", {**common, "name": "API calls", "structure": {
                "pricingType": "LINEAR", "pricePerUnit": "0.01", "usageMetricId": metric["id"], "isPricePercentage": False}})
            schedule = post("/billing-schedules", {"type": "CUSTOM", "customerId": customer["id"], "startDate": START,
                                                   "priceIds": [fee["id"], calls["id"]], "autoIssueInvoices": False,
                                                   "createAsDraft": False})
    finally:
        stop_server(proc)
    return {"account": cred.account_id, "customer": customer["id"], "schedule": schedule["id"]}


async def clone(url: str, ids: dict[str, str], n: int, events_per_customer: int) -> float:
    """N-1 more customers and schedules like the template (COPY), and usage events for all N."""
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(pg(url))
    try:
        tables = [row["table_name"] for row in await conn.fetch(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'billing_schedule_id' "
            "AND table_schema = 'public' AND table_name NOT IN ('invoices', 'billing_schedule_invoices')")]
        customer = await conn.fetchrow("SELECT * FROM customers WHERE id = $1", ids["customer"])
        schedule = await conn.fetchrow("SELECT * FROM billing_schedules WHERE id = $1", ids["schedule"])
        children = {t: await conn.fetch(f"SELECT * FROM {t} WHERE billing_schedule_id = $1", ids["schedule"]) for t in tables}
        rows: dict[str, list[tuple[Any, ...]]] = {"customers": [], "billing_schedules": [], **{t: [] for t in tables}}
        customer_ids = [ids["customer"]]

        async def flush(force: bool = False) -> None:
            for table in ("customers", "billing_schedules", *tables):  # foreign-key order
                if rows[table] and (force or len(rows["customers"]) >= COPY_ROWS):
                    columns = list((customer if table == "customers" else schedule if table == "billing_schedules"
                                    else children[table][0]).keys())
                    await conn.copy_records_to_table(table, records=rows[table], columns=columns)
            if force or len(rows["customers"]) >= COPY_ROWS:
                for table in rows:
                    rows[table] = []

        for i in range(1, n):
            cid, sid = uuid7(), uuid7()
            customer_ids.append(cid)
            rows["customers"].append(tuple({**dict(customer), "id": cid, "legal_name": f"Customer {i:06d} Ltd"}.values()))
            rows["billing_schedules"].append(tuple({**dict(schedule), "id": sid, "customer_id": cid}.values()))
            for table, found in children.items():
                for child in found:
                    rows[table].append(tuple({**dict(child), "id": uuid7(), "billing_schedule_id": sid}.values()))
            await flush()
        await flush(force=True)
        rng = random.Random(14)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        columns = ["id", "account_id", "customer_event_id", "customer_alias", "event_type", "event_timestamp",
                   "event_properties", "received_at", "revision"]
        batch: list[tuple[Any, ...]] = []
        for number, cid in enumerate(customer_ids):
            for k in range(events_per_customer):
                at = start + timedelta(seconds=rng.randrange(30 * 86400))
                batch.append((uuid7(), ids["account"], f"e-{number}-{k}", cid, "api_call", at,
                              json.dumps({"n": rng.randrange(1, 5000)}), at, 1))
            if len(batch) >= COPY_ROWS:
                await conn.copy_records_to_table("usage_events", records=batch, columns=columns)
                batch = []
        if batch:
            await conn.copy_records_to_table("usage_events", records=batch, columns=columns)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


# --- the run --------------------------------------------------------------------------------------


async def scalar(url: str, sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(pg(url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """CPU seconds used so far by ``pids`` (the workers) and by every PostgreSQL server process."""
    import psutil

    def used(proc: Any) -> float:
        try:
            times = proc.cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return 0.0

    workers = sum(used(psutil.Process(pid)) for pid in pids)
    postgres = sum(used(proc) for proc in psutil.process_iter(["name"]) if (proc.info["name"] or "").startswith("postgres"))
    return workers, postgres


def one_run(url: str, as_of: str, pids: list[int]) -> dict[str, Any]:
    env = {**os.environ, "QUIRE_DATABASE_URL": url}
    cpu_before = cpu_seconds(pids)
    before = asyncio.run(scalar(url, "SELECT count(*) FROM invoices"))
    started = time.perf_counter()
    out = subprocess.run([QUIRE, "billing", "run", "--as-of", as_of, "--defer"], env=env, check=True,
                         capture_output=True, text=True)
    deferred = json.loads(out.stdout)
    while asyncio.run(scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'billing' "
                                  "AND status IN ('todo', 'doing')")):
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    failed = asyncio.run(scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'billing' "
                                     "AND status NOT IN ('todo', 'doing', 'succeeded')"))
    cpu_after = cpu_seconds(pids)
    after = asyncio.run(scalar(url, "SELECT count(*) FROM invoices"))
    errors = asyncio.run(scalar(url, f"SELECT coalesce(sum(errors), 0) FROM billing_runs WHERE batch_id = '{deferred['batchId']}'"))
    return {"seconds": round(seconds, 1), "jobs": deferred["jobsDeferred"], "invoices_created": after - before,
            "invoices_per_s": round((after - before) / seconds, 1), "failed_jobs": failed, "errors": int(errors),
            "cpu_s_workers": round(cpu_after[0] - cpu_before[0], 1), "cpu_s_postgres": round(cpu_after[1] - cpu_before[1], 1)}


def main() -> None:
    args = parse_args()
    url = create_pg_database("quire_billing_bench")
    if url is None:
        sys.exit("PostgreSQL is not reachable at QUIRE_TEST_DATABASE_URL")
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            subprocess.run([QUIRE, "migrate"], env={**os.environ, "QUIRE_DATABASE_URL": url}, check=True,
                           capture_output=True)
            ids = template(url, workdir)
            seeded = asyncio.run(clone(url, ids, args.schedules, args.events_per_customer))
            print(f"# seeded {args.schedules:,} customers + schedules and {args.schedules * args.events_per_customer:,} "
                  f"usage events by COPY in {seeded:.1f} s", flush=True)
            env = {**os.environ, "QUIRE_DATABASE_URL": url}
            for n in range(args.workers):
                log = open(workdir / f"worker-{n}.log", "wb")  # noqa: SIM115 - lives as long as the worker
                workers.append(subprocess.Popen([QUIRE, "worker", "--queues", "billing", "--concurrency",
                                                 str(args.worker_concurrency)], env=env, stdout=log, stderr=log))
            time.sleep(2)
            pids = [w.pid for w in workers]
            first = one_run(url, args.as_of, pids)
            print(f"first run:  {first}", flush=True)
            second = one_run(url, args.as_of, pids)
            print(f"second run: {second}", flush=True)
            third = None
            if args.then:
                third = one_run(url, args.then, pids)
                drafts = asyncio.run(scalar(url, "SELECT count(*) FROM invoices WHERE status = 'DRAFT'"))
                third["drafts"] = drafts
                print(f"then as of {args.then}: {third}", flush=True)
            rss = [round(peak_rss_mb(w.pid), 1) for w in workers]
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=60)
            workers = []
            report = {"schedules": args.schedules, "as_of": args.as_of, "workers": args.workers,
                      "worker_concurrency": args.worker_concurrency, "seed_seconds": round(seeded, 1),
                      "first": first, "second": second, "then": third, "worker_peak_rss_mb": rss, "machine": machine()}
            print(f"# {args.schedules:,} schedules, {args.workers} workers: first run {first['seconds']} s "
                  f"({first['invoices_created']:,} invoices, {first['invoices_per_s']} invoices/s), "
                  f"second run {second['seconds']} s ({second['invoices_created']} created); "
                  f"peak RSS per worker {rss} MB")
            print(json.dumps(report))
            if args.keep:
                print(f"# kept {url}")
    finally:
        for w in workers:
            w.kill()
        if not args.keep:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
