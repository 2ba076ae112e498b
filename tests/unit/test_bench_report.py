"""Issue 16's table of targets as `make bench` prints it (bench/suite/report.py), on hand-made rows: a
wrong comparison or a row read from the wrong database or server would print PASS for a missed target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("psutil")  # the bench extra: pip install -e ".[bench]"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.suite.loadgen import OpStats  # noqa: E402
from bench.suite.report import UNLOADED_LIST, Row, billing_targets, target_lines, target_markdown, targets  # noqa: E402

PROD = "uvicorn-2w"
ISSUE_ROWS = [
    "full flow (create + 3 lines + finalize), 16 clients, PostgreSQL",
    "full flow, 16 clients, SQLite",
    "POST /invoices, 16 clients",
    "list of 50 over 1,000,000 invoices, 16 clients",
    "list of 50, unloaded (1 client), at any depth and filter",
    "finalize storm (50 at once)",
    "server CPU per write request (POST /invoices), in process",
    "a stored 20-line PDF",
]


def row(database: str, workload: str, rate: float, *, server: str = PROD, errors: int = 0, p50: float = 5.0,
        p99: float = 20.0, ops: list[OpStats] | None = None, notes: dict | None = None, sub: bool = False) -> Row:
    return Row(database, server, workload, "req/s", 1000, errors, rate, p50, p50, p99, 150.0, 90.0, 5.0, 10.0,
               ops=ops or [], sub=sub, notes=notes or {})


def op(name: str, p50: float) -> OpStats:
    return OpStats(name, 10, 0, 1.0, p50, p50, p50, p50)


def all_met() -> tuple[list[Row], dict]:
    rows = [
        row("postgresql", "full-flow", 320.0),
        row("postgresql", "full-flow", 30.0, server="silver-5w"),
        row("sqlite", "full-flow", 160.0),
        row("sqlite", "full-flow", 20.0, server="silver-5w"),
        row("postgresql", "create-invoice", 1600.0, p99=40.0),
        row("postgresql", "list", 450.0, notes={"seeded": 1_000_000}),
        row("postgresql", UNLOADED_LIST, 150.0, p50=4.0, notes={"seeded": 1_000_000},
            ops=[op("GET /invoices", 4.0), op("~page 1", 6.0), op("~deep page (cursor at random depth)", 9.5),
                 op("~filter SENT", 5.0)]),
        row("postgresql", "finalize-storm", 210.0, notes={"numbering": {"gaps": 0, "duplicates": 0}}),
    ]
    extra = {"cpu_per_request": {"least_ms": 0.65, "mean_ms": 0.9, "requests": 500},
             "pdf_render": {"runs": 15, "total CPU": {"median_ms": 14.0, "p95_ms": 16.0}}}
    return rows, extra


def by_row(rows: list[Row], extra: dict) -> dict:
    return {c.workload: c for c in targets(rows, PROD, extra)}


def test_every_row_of_the_issue_in_its_order_and_all_pass_when_met() -> None:
    rows, extra = all_met()
    checks = targets(rows, PROD, extra)
    assert [c.workload for c in checks] == ISSUE_ROWS
    assert [c.status for c in checks] == ["PASS"] * len(ISSUE_ROWS)
    assert all(c.short == "" for c in checks)
    assert checks[0].measured == "320.0 inv/s, 10.67x silver (30.0 inv/s), 0 errors"
    assert checks[4].measured == "worst p50 9.5 ms (deep page (cursor at random depth))"


def test_a_miss_says_by_how_much_for_each_failing_part() -> None:
    rows, extra = all_met()
    rows[0] = row("postgresql", "full-flow", 33.4, errors=3)  # silver 30 inv/s: 1.1x of the 10x wanted
    rows[4] = row("postgresql", "create-invoice", 662.0, p99=124.0)
    rows[6].ops.append(op("~filter due window", 25.0))
    rows[7] = row("postgresql", "finalize-storm", 250.0, notes={"numbering": {"gaps": 2, "duplicates": 0}})
    extra["cpu_per_request"]["least_ms"] = 2.1
    extra["pdf_render"]["total CPU"]["median_ms"] = 28.0
    c = by_row(rows, extra)
    flow = c[ISSUE_ROWS[0]]
    assert flow.status == "MISS"
    assert flow.short == "rate x9.0 short; vs silver x9.0 short; 3 errors"
    assert c[ISSUE_ROWS[2]].short == "rate x2.3 short; p99 x2.5 over"
    assert c[ISSUE_ROWS[4]].status == "MISS" and c[ISSUE_ROWS[4]].short == "p50 x2.5 over"
    assert "due window" in c[ISSUE_ROWS[4]].measured
    assert c[ISSUE_ROWS[5]].short == "2 gaps"  # the rate passes; the gaps alone fail it
    assert c[ISSUE_ROWS[6]].short == "CPU x3.0 over"
    assert c[ISSUE_ROWS[7]].short == "render x1.9 over"
    assert c[ISSUE_ROWS[1]].status == "PASS"  # the SQLite row is read from the SQLite rows only


def test_rows_of_other_servers_databases_and_sub_rows_are_not_read() -> None:
    rows, extra = all_met()
    rows = [r for r in rows if not (r.database == "postgresql" and r.workload == "create-invoice")]
    rows += [row("postgresql", "create-invoice", 5000.0, server="granian-2w"),
             row("sqlite", "create-invoice", 5000.0),
             row("postgresql", "create-invoice", 5000.0, sub=True)]
    c = by_row(rows, extra)[ISSUE_ROWS[2]]
    assert (c.status, c.measured, c.short) == ("n/a", "-", "not measured")
    rows = [r for r in rows if r.workload != "full-flow" or r.server.startswith("silver")]  # --workloads storm
    assert by_row(rows, extra)[ISSUE_ROWS[0]].short == "not measured"


def test_a_target_measured_in_part_is_not_a_pass_and_conditions_are_stated() -> None:
    rows, extra = all_met()
    rows = [r for r in rows if not r.server.startswith("silver")]  # --no-peer
    rows[3].notes["seeded"] = rows[4].notes["seeded"] = 50_000  # --quick
    del extra["pdf_render"]
    extra["pdf_render_error"] = "bench/render_split.py failed: exit 1"
    c = by_row(rows, extra)
    assert c[ISSUE_ROWS[0]].status == "n/a" and c[ISSUE_ROWS[0]].short == "silver not run"
    assert "silver not run" in c[ISSUE_ROWS[0]].measured
    assert c[ISSUE_ROWS[3]].measured == "450 pages/s (over 50,000 invoices, not 1,000,000)"
    assert c[ISSUE_ROWS[4]].measured == "worst p50 9.5 ms (deep page (cursor at random depth), over 50,000 invoices)"
    assert (c[ISSUE_ROWS[7]].status, c[ISSUE_ROWS[7]].short) == ("n/a", "bench/render_split.py failed: exit 1")
    rows[0] = row("postgresql", "full-flow", 100.0)  # a measured part that fails is a MISS even without silver
    assert by_row(rows, extra)[ISSUE_ROWS[0]].short == "rate x3.0 short; silver not run"


def test_the_plain_and_markdown_tables_hold_every_row_with_its_target() -> None:
    rows, extra = all_met()
    rows[4] = row("postgresql", "create-invoice", 750.0, p99=30.0)
    checks = targets(rows, PROD, extra)
    plain = target_lines(checks)
    assert len(plain) == 2 + len(ISSUE_ROWS)
    assert ">= 1,500 req/s, p99 < 50 ms" in plain[4] and plain[4].endswith("MISS (rate x2.0 short)")
    md = target_markdown(checks).splitlines()
    assert md[0] == "| workload | target | measured | result |" and len(md) == 2 + len(ISSUE_ROWS)
    assert md[4] == "| POST /invoices, 16 clients | ≥ 1,500 req/s, p99 < 50 ms | 750 req/s, p99 30.0 ms | **MISS** (rate x2.0 short) |"


def billing(schedules: int = 100_000, first: float = 68.9, second: float = 15.9, created: int = 0,
            failed: int = 0, errors: int = 0) -> dict:
    run = {"seconds": first, "invoices_created": schedules, "invoices_per_s": round(schedules / first, 1),
           "failed_jobs": failed, "errors": errors}
    again = {"seconds": second, "invoices_created": created, "invoices_per_s": 0.0, "failed_jobs": 0, "errors": 0}
    return {"billing_run": {"schedules": schedules, "workers": 2, "first": run, "second": again,
                            "worker_peak_rss_mb": [177.0, 171.5]}}


def test_billing_targets_pass_only_at_full_size_and_within_both_times() -> None:
    checks = billing_targets(billing())
    assert [c.status for c in checks] == ["PASS", "PASS"]
    assert "100,000 monthly schedules" in checks[0].workload and "177.0 MB" in checks[0].measured
    slow = billing_targets(billing(first=150.0, second=45.0))
    assert [c.status for c in slow] == ["MISS", "MISS"]
    assert "time x1.2 over" in slow[0].short and "time x1.5 over" in slow[1].short


def test_billing_targets_miss_on_a_rerun_that_creates_or_a_run_with_failures() -> None:
    again = billing_targets(billing(created=3))
    assert again[1].status == "MISS" and "3 created" in again[1].short
    failed = billing_targets(billing(failed=1, errors=2))
    assert failed[0].status == "MISS" and "1 failed jobs" in failed[0].short and "2 errors" in failed[0].short


def test_billing_targets_of_a_smaller_run_are_not_a_pass_and_say_why() -> None:
    checks = billing_targets(billing(schedules=5_000, first=4.0, second=1.0))
    assert [c.status for c in checks] == ["n/a", "n/a"]
    assert all("5,000 schedules, not 100,000" in c.short for c in checks)
    assert billing_targets({}) == []
    assert billing_targets({"billing_run_error": "bench/billing_run.py failed"})[0].status == "n/a"
