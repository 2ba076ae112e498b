"""The customer portal's pages on SQLite with 10,000 invoices: latency of each page (docs/portal.md#latency).

    .venv/bin/python bench/portal.py                      # 10,000 invoices, 200 samples per page
    .venv/bin/python bench/portal.py --invoices 100000 --samples 50

Seeds --invoices invoices over 1,000 customers of one account (bench/suite/seed.py, the seeding of
`make bench`'s list workload), then makes it the worst case a customer's portal can meet: every numbered
invoice becomes SENT and belongs to ONE customer, each with a hosted link, so the invoices page lists
100 unpaid and 24 paid of thousands and counts them all. Through the API it adds that customer a credit
grant, and 3 usage metrics with 20 events each in each of the last 6 months. Then it starts `quire serve`
(one uvicorn worker, a separate process, as users run it), issues the customer's portal link and times
--samples sequential GETs of each page after 10 warm-up ones (--spread: the seed's customers as they are, about
8 SENT invoices each, the common case): p50, p90, p99, max, and the server's CPU time
per request (which the load of a shared machine changes little). ``make bench`` runs ``measure`` too
(bench/suite/pages.py).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.suite import seed, servers  # noqa: E402


def all_sent(path: str, account_id: str, customer_id: str | None) -> None:
    """Every numbered invoice SENT (and the one customer's, when given), with a hosted link each."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE invoices SET status = 'SENT', sent_date = issue_date, sent_at = created_at "
                   "WHERE account_id = ? AND invoice_number IS NOT NULL", (account_id,))
        if customer_id is not None:
            db.execute("UPDATE invoices SET customer_id = ? WHERE status = 'SENT'", (customer_id,))
        db.execute("INSERT INTO invoice_hosted_links (invoice_id, account_id, token, created_at) "
                   "SELECT id, account_id, hex(randomblob(16)), created_at FROM invoices WHERE status = 'SENT'")
        db.execute("ANALYZE")


def usage_and_credits(api: httpx.Client, account_id: str, customer_id: str) -> None:
    response = api.post("/credits", json={"sequenceAccountId": account_id, "customerId": customer_id, "name": "Credit",
                                          "creditUnitType": "CURRENCY", "currency": "GBP", "amount": 500})
    assert response.status_code == 201, response.text
    now = datetime.now(UTC)
    for n in range(3):
        metric = api.post("/usage-metrics", json={"name": f"Metric {n}", "metricType": "SIMPLE", "eventType": f"e{n}",
                                                   "aggregationType": "SUM", "aggregationProperty": "n"})
        assert metric.status_code == 201, metric.text
        for month in range(6):
            for k in range(20):
                stamp = (now - timedelta(days=30 * month, minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
                sent = api.post("/usage-events", json={"customerAlias": customer_id, "eventType": f"e{n}",
                                                        "eventTimestamp": stamp, "eventProperties": {"n": k}})
                assert sent.status_code == 201, sent.text


def _cpu(process: psutil.Process) -> float:
    """User + system CPU seconds of the server and its children (the load on the machine changes it little)."""
    total = 0.0
    for p in (process, *process.children(recursive=True)):
        times = p.cpu_times()
        total += times.user + times.system
    return total


def timed(client: httpx.Client, path: str, samples: int) -> list[float]:
    for _ in range(10):
        assert client.get(path).status_code == 200
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return sorted(times)


def measure(invoices: int = 10_000, samples: int = 200, spread: bool = False,
            show: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Seed, serve, and time each portal page: (what was seeded, one dict per page: ``page``, ``p50_ms``,
    ``p90_ms``, ``p99_ms``, ``max_ms``, ``cpu_ms_per_request``), each page also passed to ``show``. The
    database is removed after."""
    folder = Path(tempfile.mkdtemp(prefix="quire-portal-bench-"))
    path = folder / "quire.db"
    url = f"sqlite:///{path}"
    results: list[dict[str, Any]] = []
    try:
        seed.migrate(url)
        account = seed.create_accounts(url, ["portal"])["portal"]
        seeded = seed.seed_invoices(url, account["sequenceAccountId"], invoices)
        customer = seeded.customer_ids[0]
        all_sent(str(path), account["sequenceAccountId"], None if spread else customer)
        with sqlite3.connect(path) as db:
            sent = int(db.execute("SELECT count(*) FROM invoices WHERE status = 'SENT' AND customer_id = ?",
                                  (customer,)).fetchone()[0])
        facts = {"invoices": seeded.count, "sent_to_the_customer": sent, "samples": samples}
        server = servers.quire_server("uvicorn", 1, url, folder, secrets.token_hex(16)).start()
        try:
            base = f"http://127.0.0.1:{server.port}"
            with httpx.Client(base_url=base, auth=(account["clientId"], account["clientSecret"]), timeout=60) as api:
                usage_and_credits(api, account["sequenceAccountId"], customer)
                token = api.post(f"/customers/{customer}/portal-link/rotate").json()["url"].rsplit("/", 1)[1]
            worker = psutil.Process(server.proc.pid if server.proc else 0)
            with httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=60) as browser:
                for suffix in ("", "/credits", "/usage"):
                    cpu = _cpu(worker)
                    times = timed(browser, f"/portal/{token}{suffix}", samples)
                    per_request = (_cpu(worker) - cpu) / (samples + 10) * 1000
                    p = statistics.quantiles(times, n=100)
                    results.append({"page": "/portal/{token}" + suffix, "p50_ms": round(statistics.median(times), 1),
                                    "p90_ms": round(p[89], 1), "p99_ms": round(p[98], 1), "max_ms": round(times[-1], 1),
                                    "cpu_ms_per_request": round(per_request, 1)})
                    if show is not None:
                        show(results[-1])
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return facts, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--spread", action="store_true",
                        help="keep the seed's 1,000 customers (about 8 SENT invoices each) instead of giving one all")
    args = parser.parse_args()
    print(f"SQLite, {args.invoices:,} invoices seeded; {args.samples} sequential requests per page (ms):")
    print(f"{'page':<28} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'server CPU/req':>15}")
    facts, _ = measure(args.invoices, args.samples, args.spread, show=lambda r: print(
        f"{r['page']:<28} {r['p50_ms']:7.1f} {r['p90_ms']:7.1f} {r['p99_ms']:7.1f} {r['max_ms']:7.1f} "
        f"{r['cpu_ms_per_request']:15.1f}", flush=True))
    print(f"{facts['sent_to_the_customer']:,} of the {facts['invoices']:,} invoices are SENT to this customer")


if __name__ == "__main__":
    main()
