"""The console's and the customer portal's pages inside `make bench` (issue 17: "every page answers in
< 100 ms at the 90th percentile with 10,000 invoices on SQLite").

Runs bench/console.py's and bench/portal.py's ``measure`` (each seeds its own SQLite database with
--page-invoices invoices, starts `quire serve` with one uvicorn worker, and times sequential GETs of each
page after a warm-up), prints each page's p90 beside the 100 ms target as it is measured, and returns the
rows that bench/run.py stores under ``pages`` in its results JSON. Sequential requests: what one person
waits. The server's CPU time per request is printed too: on a shared machine it moves far less than the
wall time does.
"""

from __future__ import annotations

import os
from typing import Any

from bench import console, portal

TARGET_P90_MS = 100.0


def _line(surface: str, row: dict[str, Any]) -> str:
    verdict = "ok" if row["p90_ms"] < TARGET_P90_MS else "OVER"
    return (f"#   {surface:<8} {row['page']:<24} p90 {row['p90_ms']:7.1f} ms   target < {TARGET_P90_MS:.0f} ms  "
            f"{verdict:<4}  (p50 {row['p50_ms']:.1f}, p99 {row['p99_ms']:.1f}, server CPU {row['cpu_ms_per_request']:.1f} ms/req)")


def measure(invoices: int, requests: int, warmup: int) -> dict[str, Any]:
    """Both surfaces' pages; the JSON block (every page's figures, the target, whether each met it)."""
    print(f"# console and portal pages: SQLite, {invoices:,} invoices, {requests} sequential requests per page "
          f"after {warmup} warm-up ones (issue 17's target: p90 < {TARGET_P90_MS:.0f} ms)", flush=True)
    rows: list[dict[str, Any]] = []

    def show(surface: str) -> Any:
        def shown(row: dict[str, Any]) -> None:
            rows.append({"surface": surface, **row, "target_p90_ms": TARGET_P90_MS,
                         "met": row["p90_ms"] < TARGET_P90_MS})
            print(_line(surface, row), flush=True)
        return shown

    console.measure(invoices, requests, warmup, show=show("console"))
    facts, _ = portal.measure(invoices, requests, show=show("portal"))
    missed = [f"{r['surface']} {r['page']}" for r in rows if not r["met"]]
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"#   {len(rows) - len(missed)} of {len(rows)} pages under {TARGET_P90_MS:.0f} ms at p90"
          + (f"; over: {', '.join(missed)}" if missed else "") + f" (load average now {load})", flush=True)
    return {"invoices": invoices, "requests": requests, "warmup": warmup, "target_p90_ms": TARGET_P90_MS,
            "portal": facts, "pages": rows, "all_met": not missed, "load_average_after": load}
