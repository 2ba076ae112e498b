"""Result rows, the printed table, Quire/peer ratios, the issue's targets, and the JSON file."""

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


def targets(rows: list[Row], production: str) -> list[str]:
    """The issue's targets (PostgreSQL, production configuration), each with the measured figure."""
    pg = {r.workload: r for r in rows if r.database == "postgresql" and r.server == production and not r.sub}
    peer = next((r for r in rows if r.database == "postgresql" and r.workload == "full-flow"
                 and r.server.startswith("silver")), None)
    out = []

    def check(label: str, ok: bool | None, figure: str) -> None:
        mark = "n/a " if ok is None else ("PASS" if ok else "MISS")
        out.append(f"{mark}  {label:<55} {figure}")

    c = pg.get("create-invoice")
    check("POST /invoices >= 1,500 req/s, p99 < 50 ms", None if c is None else c.rate >= 1500 and c.p99_ms < 50,
          "-" if c is None else f"{c.rate:.0f} req/s, p99 {c.p99_ms:.1f} ms")
    f = pg.get("full-flow")
    check("full flow >= 300 inv/s, 0 errors", None if f is None else f.rate >= 300 and f.errors == 0,
          "-" if f is None else f"{f.rate:.0f} inv/s, {f.errors} errors")
    check("full flow >= 10x the peer's inv/s", None if f is None or peer is None or not peer.rate else f.rate >= 10 * peer.rate,
          "-" if f is None or peer is None or not peer.rate else f"{f.rate / peer.rate:.1f}x ({peer.rate:.1f} inv/s)")
    pages = [r for r in rows if r.database == "postgresql" and r.server == production and r.workload.strip().startswith("list ")]
    lst = pg.get("list")
    if lst is not None:
        worst50 = max([lst.p50_ms, *(p.p50_ms for p in pages)])
        worst99 = max([lst.p99_ms, *(p.p99_ms for p in pages)])
        check("list p50 < 10 ms, p99 < 30 ms at any depth", worst50 < 10 and worst99 < 30,
              f"worst depth bucket p50 {worst50:.1f} ms, p99 {worst99:.1f} ms")
    else:
        check("list p50 < 10 ms, p99 < 30 ms at any depth", None, "-")
    s = pg.get("finalize-storm")
    if s is not None:
        n = s.notes.get("numbering", {})
        check("finalize storm: 0 errors, 0 gaps, >= 200 fin/s",
              s.errors == 0 and n.get("gaps", 1) == 0 and n.get("duplicates", 1) == 0 and s.rate >= 200,
              f"{s.errors} errors, {n.get('gaps')} gaps, {n.get('duplicates')} duplicates, {s.rate:.0f} fin/s")
    else:
        check("finalize storm: 0 errors, 0 gaps, >= 200 fin/s", None, "-")
    quire_rows = [r for r in rows if not r.server.startswith("silver") and not r.sub and r.max_rss_mb]
    worst = max((r.max_rss_mb for r in quire_rows), default=0.0)
    check("server RSS < 300 MB per worker through every workload", worst < 300 if quire_rows else None,
          f"max {worst:.0f} MB (all Quire rows)")
    return out


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
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1]), subrows="--sub" in sys.argv))
