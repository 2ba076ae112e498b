"""Result rows, the printed table, Quire/peer ratios, issue 16's table of targets, and the JSON file."""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/suite/report.py results.json
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.suite.loadgen import OpStats, Recorder, percentile
from bench.suite.servers import Sample


@dataclass
class Row:
    database: str
    server: str
    workload: str
    unit: str  # what ``rate`` counts: req/s, inv/s, fin/s
    requests: int
    errors: int
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_rss_mb: float
    server_cpu: float  # % of one core, whole server tree
    client_cpu: float  # % of one core, the load generator
    seconds: float
    ops: list[OpStats] = field(default_factory=list)
    sub: bool = False  # a per-operation line under a workload's headline
    notes: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "ops"}
        d["ops"] = [o.as_json() for o in self.ops]
        return d


def headline(database: str, server: str, workload: str, unit: str, rec: Recorder, elapsed: float,
             units_done: int, sample: Sample, latency_op: str | None = None,
             sub_ops: list[str] | None = None, notes: dict[str, Any] | None = None) -> list[Row]:
    """A workload's row (rate = ``units_done`` / elapsed; latency of ``latency_op`` or of every request)
    followed by one sub-row per operation in ``sub_ops``."""
    stats = {s.name: s for s in rec.stats(elapsed)}
    # Operations named "~..." are derived timings (a whole flow, a depth bucket): not extra requests.
    real = [s for s in stats.values() if not s.name.startswith("~")]
    requests = sum(s.count for s in real)
    errors = sum(s.errors for s in real)
    if latency_op is not None:
        values = sorted(rec.latencies.get(latency_op, []))
    else:
        values = sorted(v for op, vs in rec.latencies.items() if not op.startswith("~") for v in vs)
    row = Row(database, server, workload, unit, requests, errors, units_done / elapsed if elapsed else 0.0,
              percentile(values, 50) * 1000, percentile(values, 95) * 1000, percentile(values, 99) * 1000,
              sample.max_rss_mb, sample.cpu_percent, sample.client_cpu_percent, elapsed,
              ops=list(stats.values()), notes=notes or {})
    rows = [row]
    for name in sub_ops or []:
        s = stats.get(name)
        if s is None:
            continue
        rows.append(Row(database, server, f"  {name.lstrip('~')}", "req/s", s.count, s.errors, s.rate, s.p50_ms,
                        s.p95_ms, s.p99_ms, sample.max_rss_mb, sample.cpu_percent, sample.client_cpu_percent,
                        elapsed, sub=True))
    return rows


HEADER = (f"{'database':<10} {'server':<16} {'workload':<30} {'requests':>8} {'errors':>6} {'rate':>9} {'unit':<5} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>8} {'RSS MB':>6} {'srv CPU':>7} {'cli CPU':>7}")


def format_row(r: Row) -> str:
    return (f"{r.database:<10} {r.server:<16} {r.workload:<30.30} {r.requests:>8} {r.errors:>6} {r.rate:>9.1f} "
            f"{r.unit:<5} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>8.1f} {r.max_rss_mb:>6.0f} "
            f"{r.server_cpu:>6.0f}% {r.client_cpu:>6.0f}%")


def print_header(info: dict[str, Any], args: dict[str, Any]) -> None:
    print(f"# Quire benchmark suite, {info['date']}")
    print(f"# machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['ram_gb']} GB RAM, Python {info['python']}, "
          f"load average at start {info['load_avg_at_start']}")
    if info.get("commit"):
        print(f"# Quire at {info['commit']}, {info['src_files_changed_since_commit']} file(s) under src/ changed since "
              f"(the working tree is what runs)")
    print(f"# {args['concurrency']} concurrent clients ({args['client']} load generator), {args['seconds']:g} s per "
          f"workload, list over {args['invoices']:,} seeded invoices, storm {args['storm_rounds']} x "
          f"{args['storm_size']} concurrent finalizes")
    print("# rate: req/s, or inv/s (full flows: create + 3 lines + finalize), or fin/s; latency client-side; "
          "RSS: max of any one server process; CPU: % of one core (server tree / load generator)")
    print(HEADER, flush=True)


def note_lines(r: Row) -> list[str]:
    """What to print under a workload's row: numbering, the causes of errors, the first error bodies."""
    out = []
    n = r.notes.get("numbering")
    if n:
        line = f"numbering (read from the database, warm-up included): {n['numbered']} numbered, {n['duplicates']} duplicates, {n['gaps']} gaps"
        if "expected" in n:
            line += f", {n['missing']} missing of {n['expected']} finalized"
        if n.get("states"):
            line += f"; documents by state {n['states']}"
        out.append(line)
    if r.notes.get("causes"):
        out.append("causes of the 5xx (server log): " + "; ".join(f"{v} x {k}" for k, v in r.notes["causes"].items()))
    elif r.errors and r.notes.get("error_samples"):
        out.append("first errors: " + " | ".join(r.notes["error_samples"][:2]))
    return out


def _number(text: str | None) -> int | None:
    if not text:
        return None
    m = re.search(r"(\d+)$", str(text))
    return int(m.group(1)) if m else None


def numbering_check(numbers: list[Any], expected: int | None = None) -> dict[str, Any]:
    """Duplicates and gaps of a set of document numbers that should be exactly 1..n."""
    values = [n for n in (_number(x) if not isinstance(x, int) else x for x in numbers) if n is not None]
    distinct = set(values)
    top = max(distinct) if distinct else 0
    out = {"numbered": len(values), "duplicates": len(values) - len(distinct), "gaps": top - len(distinct),
           "max": top}
    if expected is not None:
        out["expected"] = expected
        out["missing"] = max(0, expected - len(distinct))
    return out


def ratios(rows: list[Row]) -> list[str]:
    """Quire's full flow against the peer's, per database and Quire server configuration."""
    out = []
    peers = {r.database: r for r in rows if r.workload == "full-flow" and r.server.startswith("silver")}
    for r in rows:
        if r.workload != "full-flow" or r.server.startswith("silver") or r.database not in peers:
            continue
        p = peers[r.database]
        ratio = r.rate / p.rate if p.rate else float("inf")
        out.append(f"{r.database:<10} {r.server:<12} {r.rate:>7.1f} inv/s vs {p.server} {p.rate:>6.1f} inv/s = "
                   f"{ratio:5.2f}x; flow p50 {r.p50_ms:.0f} vs {p.p50_ms:.0f} ms, p99 {r.p99_ms:.0f} vs {p.p99_ms:.0f} ms; "
                   f"errors {r.errors} vs {p.errors}")
    return out


@dataclass
class Check:
    """One row of issue 16's table of targets: the measured figure beside the target, PASS/MISS and, for a
    MISS, by how much each part falls short."""

    workload: str
    target: str
    measured: str
    status: str  # PASS | MISS | n/a (not measured, or only in part and what was measured passed)
    short: str = ""  # "x3.2 short", "p99 x2.5 over", "3 errors", or why it is n/a

    def as_json(self) -> dict[str, str]:
        return self.__dict__.copy()


def _at_least(name: str, got: float | None, need: float) -> tuple[bool | None, str]:
    if got is None:
        return None, ""
    if got >= need:
        return True, ""
    return False, f"{name} x{need / got:.1f} short" if got > 0 else f"{name}: none"


def _below(name: str, got: float | None, limit: float, *, inclusive: bool = False) -> tuple[bool | None, str]:
    if got is None:
        return None, ""
    if got < limit or (inclusive and got == limit):
        return True, ""
    return False, f"{name} x{got / limit:.1f} over"


def _zero(name: str, got: int | None) -> tuple[bool | None, str]:
    if got is None:
        return None, ""
    return (True, "") if got == 0 else (False, f"{got} {name}")


def _check(workload: str, target: str, measured: str | None, parts: list[tuple[bool | None, str]],
           missing: str = "") -> Check:
    """MISS if any measured part fails (with every failing part's shortfall), n/a if nothing was measured or a
    part was not (with ``missing``: why), else PASS."""
    if measured is None:
        return Check(workload, target, "-", "n/a", missing or "not measured")
    failing = [why for ok, why in parts if ok is False]
    if failing:
        return Check(workload, target, measured, "MISS", "; ".join(failing + ([missing] if missing else [])))
    if any(ok is None for ok, _ in parts):
        return Check(workload, target, measured, "n/a", missing or "not measured in full")
    return Check(workload, target, measured, "PASS")


UNLOADED_LIST = "list, 1 client"  # the workload name of the unloaded list row (bench/run.py)
FULL_LIST_ROWS = 1_000_000


def targets(rows: list[Row], production: str, extra: dict[str, Any] | None = None, *,
            concurrency: int = 16, storm_size: int = 50) -> list[Check]:
    """Issue 16's targets, in the issue's order, from the rows of the production configuration
    (``production``, e.g. "uvicorn-2w") and ``extra``'s in-process measurements ("cpu_per_request" from
    bench/cpu_per_request.py, "pdf_render" from bench/render_split.py). PostgreSQL unless a row says
    otherwise; the peer is django-silver on the same database in the same run."""
    extra = extra or {}

    def row(database: str, workload: str) -> Row | None:
        return next((r for r in rows if r.database == database and r.server == production and r.workload == workload
                     and not r.sub), None)

    def peer(database: str) -> Row | None:
        return next((r for r in rows if r.database == database and r.workload == "full-flow"
                     and r.server.startswith("silver")), None)

    clients = f"{concurrency} clients"
    out = []
    for database, need, times, label in (("postgresql", 300, 10, f"full flow (create + 3 lines + finalize), {clients}, PostgreSQL"),
                                         ("sqlite", 150, 5, f"full flow, {clients}, SQLite")):
        f, p = row(database, "full-flow"), peer(database)
        ratio = f.rate / p.rate if f is not None and p is not None and p.rate else None
        target = f">= {need} inv/s and >= {times}x silver in the same run" + (", 0 errors" if database == "postgresql" else "")
        measured = None if f is None else (
            f"{f.rate:.1f} inv/s, " + (f"{ratio:.2f}x silver ({p.rate:.1f} inv/s)" if ratio is not None and p is not None
                                       else "silver not run") + f", {f.errors} errors")
        parts = [_at_least("rate", None if f is None else f.rate, need), _at_least("vs silver", ratio, times)]
        if database == "postgresql":
            parts.append(_zero("errors", None if f is None else f.errors))
        out.append(_check(label, target, measured, parts, "" if p is not None or f is None else "silver not run"))

    c = row("postgresql", "create-invoice")
    out.append(_check(f"POST /invoices, {clients}", ">= 1,500 req/s, p99 < 50 ms",
                      None if c is None else f"{c.rate:.0f} req/s, p99 {c.p99_ms:.1f} ms",
                      [_at_least("rate", None if c is None else c.rate, 1500),
                       _below("p99", None if c is None else c.p99_ms, 50)]))

    lst = row("postgresql", "list")
    seeded = None if lst is None else lst.notes.get("seeded")
    over = "" if seeded is None or seeded >= FULL_LIST_ROWS else f" (over {seeded:,} invoices, not 1,000,000)"
    out.append(_check(f"list of 50 over 1,000,000 invoices, {clients}", ">= 400 pages/s",
                      None if lst is None else f"{lst.rate:.0f} pages/s{over}",
                      [_at_least("rate", None if lst is None else lst.rate, 400)]))

    one = row("postgresql", UNLOADED_LIST)
    worst = None
    if one is not None:
        buckets = [o for o in one.ops if o.name.startswith("~") and o.count]
        worst = max(buckets, key=lambda o: o.p50_ms, default=None)
    seeded = None if one is None else one.notes.get("seeded")
    over = "" if seeded is None or seeded >= FULL_LIST_ROWS else f", over {seeded:,} invoices"
    out.append(_check("list of 50, unloaded (1 client), at any depth and filter", "p50 < 10 ms",
                      None if one is None else (f"worst p50 {worst.p50_ms:.1f} ms ({worst.name.lstrip('~')}{over})"
                                                if worst else f"p50 {one.p50_ms:.1f} ms ({over.lstrip(', ')})"),
                      [_below("p50", None if one is None else (worst.p50_ms if worst else one.p50_ms), 10)]))

    s = row("postgresql", "finalize-storm")
    n = {} if s is None else s.notes.get("numbering", {})
    size = "" if storm_size == 50 else f" ({storm_size} at once)"
    out.append(_check("finalize storm (50 at once)", ">= 200/s, 0 gaps",
                      None if s is None else (f"{s.rate:.0f} fin/s, {n.get('gaps')} gaps, {n.get('duplicates')} "
                                              f"duplicates, {s.errors} errors{size}"),
                      [_at_least("rate", None if s is None else s.rate, 200),
                       _zero("gaps", None if s is None else n.get("gaps", 1)),
                       _zero("duplicates", None if s is None else n.get("duplicates", 1))]))

    cpu = extra.get("cpu_per_request")
    out.append(_check("server CPU per write request (POST /invoices), in process", "<= 0.7 ms",
                      None if not cpu else (f"{cpu['least_ms']:.2f} ms (least loaded of 10 batches; mean "
                                            f"{cpu['mean_ms']:.2f} ms, {cpu['requests']} requests)"),
                      [_below("CPU", None if not cpu else cpu["least_ms"], 0.7, inclusive=True)],
                      "" if cpu else (extra.get("cpu_per_request_error") or "")))

    pdf = extra.get("pdf_render")
    out.append(_check("a stored 20-line PDF", "< 15 ms, rendered off the request path",
                      None if not pdf else (f"{pdf['total CPU']['median_ms']:.1f} ms of CPU per render (median of "
                                            f"{pdf['runs']}; p95 {pdf['total CPU']['p95_ms']:.1f} ms), in a job"),
                      [_below("render", None if not pdf else pdf["total CPU"]["median_ms"], 15)],
                      "" if pdf else (extra.get("pdf_render_error") or "")))
    return out


FULL_BILLING_SCHEDULES = 100_000


def billing_targets(extra: dict[str, Any]) -> list[Check]:
    """Issue 14's scale targets from bench/billing_run.py's JSON (``extra["billing_run"]``): a run over 100,000
    active monthly schedules with two workers in < 120 s, memory bounded, and the same date again creating
    nothing in < 30 s. Empty when the billing workload did not run."""
    b = extra.get("billing_run")
    if not b:
        error = extra.get("billing_run_error")
        return [Check("billing run", "< 120 s", "-", "n/a", error)] if error else []
    first, second, n = b["first"], b["second"], b["schedules"]
    scaled = "" if n >= FULL_BILLING_SCHEDULES else f"not measured in full: {n:,} schedules, not 100,000"
    size = (None, "") if scaled else (True, "")  # a smaller run is never a PASS
    return [_check(f"billing run, {n:,} monthly schedules (fixed + usage), {b['workers']} workers", "< 120 s",
                   f"{first['seconds']} s ({first['invoices_created']:,} invoices, {first['invoices_per_s']} invoices/s), "
                   f"peak RSS per worker {max(b['worker_peak_rss_mb'])} MB",
                   [_below("time", first["seconds"], 120), _zero("failed jobs", first["failed_jobs"]),
                    _zero("errors", first["errors"]), size], scaled),
            _check("the same date again", "< 30 s, nothing created",
                   f"{second['seconds']} s, {second['invoices_created']} created",
                   [_below("time", second["seconds"], 30), _zero("created", second["invoices_created"]), size], scaled)]


def target_lines(checks: list[Check]) -> list[str]:
    """The table of targets as plain text, one line per target."""
    w = max((len(c.workload) for c in checks), default=10)
    t = max((len(c.target) for c in checks), default=10)
    m = max((len(c.measured) for c in checks), default=10)
    out = [f"{'workload':<{w}}  {'target':<{t}}  {'measured':<{m}}  result", "-" * (w + t + m + 20)]
    for c in checks:
        out.append(f"{c.workload:<{w}}  {c.target:<{t}}  {c.measured:<{m}}  {c.status}" + (f" ({c.short})" if c.short else ""))
    return out


def target_markdown(checks: list[Check]) -> str:
    """The table of targets in Markdown (README.md, docs/performance.md)."""
    out = ["| workload | target | measured | result |", "|---|---|---|---|"]
    for c in checks:
        result = f"**{c.status}**" + (f" ({c.short})" if c.short else "")
        out.append(f"| {c.workload} | {c.target.replace('>=', '≥').replace('<=', '≤')} | {c.measured} | {result} |")
    return "\n".join(out)


def write_json(path: Path, info: dict[str, Any], args: dict[str, Any], rows: list[Row], extra: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": info, "args": args, "rows": [r.as_json() for r in rows],
                                "written": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}, indent=1, default=str))


def markdown(path: Path, subrows: bool = False) -> str:
    """A results file as a Markdown table (for README.md and docs/performance.md):
    ``.venv/bin/python bench/suite/report.py bench/results/bench-....json``."""
    data = json.loads(path.read_text())
    m = data["machine"]
    out = [f"{m['date']}, {m['cpus']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, Python {m['python']}, "
           f"Quire {m.get('commit', '?')}; load average at start {m['load_avg_at_start']}; "
           f"{data['args']['concurrency']} clients, {data['args']['seconds']:g} s per workload, "
           f"{data['args']['invoices']:,} seeded invoices.", "",
           "| database | server | workload | requests | errors | rate | p50 ms | p95 ms | p99 ms | max RSS MB |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in data["rows"]:
        if r["sub"] and not subrows:
            continue
        name = r["workload"].strip()
        if r["sub"]:
            name = "&nbsp;&nbsp;" + name
        out.append(f"| {r['database']} | {r['server']} | {name} | {r['requests']} | {r['errors']} | "
                   f"{r['rate']:.1f} {r['unit']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                   f"{r['max_rss_mb']:.0f} |")
    if data.get("targets"):
        out += ["", target_markdown([Check(**c) for c in data["targets"]])]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1]), subrows="--sub" in sys.argv))
