"""uvicorn or granian behind `quire serve`, and how evenly each spreads the load over its workers (issue 16:
"pick the server and worker layout by measurement; connections must spread evenly across workers").

    .venv/bin/python bench/server_choice.py                      # 4 alternated rounds, 5 s per workload
    .venv/bin/python bench/server_choice.py --rounds 2 --seconds 3 --servers uvicorn,granian --workers 2
    .venv/bin/python bench/server_choice.py --servers granian:1,granian:2,granian:3   # worker layouts

One fresh PostgreSQL database (next to QUIRE_TEST_DATABASE_URL, dropped afterwards) with --invoices seeded
invoices; then, round after round, each server in turn (the order alternates between rounds, so that a
change in what the rest of the machine does falls on both alike) runs the bench's `create-invoice` and
`list` workloads (bench/suite/quire_workloads.py, 16 clients; `health`, `GET /health`, on request) with the PostgreSQL layout of the bench
(jobs not in the API processes). Per run it records:

- the server's CPU time per request (psutil, every process of the server's tree over the measured
  window): the figure that moves least when other work shares the machine;
- each worker's share of that CPU (a worker's CPU is proportional to the requests it serves: same
  requests, same code), and the connections each worker holds (its ESTABLISHED sockets on the server's
  port, sampled every 0.2 s while the clients run): how evenly the 16 keep-alive connections and their
  requests spread over the workers;
- requests/s and p50/p99 latency (wall clock: noisy on a shared machine).

Prints one line per run and the median per server and workload; JSON in bench/results/. Findings:
docs/performance.md, "Server choice".
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.suite import quire_workloads as qw  # noqa: E402
from bench.suite import seed, servers  # noqa: E402


def worker_processes(server: servers.ServerProcess, expected: int) -> list[psutil.Process]:
    """The processes that accept connections: the direct children of the server's root process holding the
    listening socket (uvicorn's and granian's supervisors hand it to them), or the root itself with one
    worker; waits up to 10 s for ``expected`` of them (a worker still booting has not got the socket yet)."""
    assert server.proc is not None
    root = psutil.Process(server.proc.pid)
    deadline = time.monotonic() + 10
    while True:
        children = [p for p in root.children() if _holds_port(p, server.port, "LISTEN")]
        if len(children) >= expected or time.monotonic() > deadline:
            return children or [root]
        time.sleep(0.2)


def _holds_port(p: psutil.Process, port: int, status: str) -> int:
    try:
        return sum(1 for c in p.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.status == status)
    except psutil.Error:
        return 0


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


class Spread:
    """CPU time and ESTABLISHED connections per worker while a workload runs."""

    def __init__(self, server: servers.ServerProcess, expected: int) -> None:
        self.server = server
        self.workers = worker_processes(server, expected if expected > 1 else 0)
        self.snapshots: list[tuple[int, ...]] = []  # connections per worker, one tuple per sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self.snapshots.append(tuple(_holds_port(p, self.server.port, "ESTABLISHED") for p in self.workers))

    def __enter__(self) -> Spread:
        self.cpu0 = {p.pid: _cpu(p) for p in self.workers}
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.cpu = {p.pid: _cpu(p) - self.cpu0[p.pid] for p in self.workers}

    def as_json(self) -> dict[str, Any]:
        total = sum(self.cpu.values()) or 1e-9
        shares = sorted((round(v / total, 3) for v in self.cpu.values()), reverse=True)
        # The connections of the measured clients: the most frequent split among the samples holding the most
        # connections at once (between phases a workload's previous clients are still closing theirs).
        most = max((sum(s) for s in self.snapshots), default=0)
        full = [tuple(sorted(s, reverse=True)) for s in self.snapshots if sum(s) == most]
        split = max(set(full), key=full.count) if full else ()
        return {"workers": len(self.workers), "cpu_share": shares, "connections": list(split)}


def one_run(kind: str, workers: int, url: str, workdir: Path, secret: str, opts: qw.Options,
            accounts: dict[str, Any], seeded: seed.Seeded, workloads: list[str]) -> list[dict[str, Any]]:
    server = servers.quire_server(kind, workers, url, workdir, secret, jobs_in_app=False).start()
    out = []
    try:
        t = qw.Target(server, "postgresql", url, f"{kind}-{workers}w")
        for workload in workloads:
            with Spread(server, workers) as spread:
                if workload == "health":  # GET /health: no database, no auth; mostly the server's own cost
                    rows = qw.health_ceiling(t, opts, "raw", opts.seconds)
                elif workload == "create":
                    rows = qw.create_invoice(t, opts, accounts["bench-writes"])
                else:
                    rows = qw.list_invoices(t, opts, accounts["bench-list"], seeded)
            r = rows[0]
            cpu_ms = r.server_cpu / 100 * r.seconds / max(r.requests, 1) * 1000
            out.append({"server": kind, "workers": workers, "workload": workload, "requests": r.requests,
                        "errors": r.errors, "rate": round(r.rate, 1), "p50_ms": round(r.p50_ms, 1),
                        "p99_ms": round(r.p99_ms, 1), "server_cpu_percent": round(r.server_cpu),
                        "cpu_ms_per_request": round(cpu_ms, 3), "load_avg": round(os.getloadavg()[0], 2),
                        **spread.as_json()})
    finally:
        server.stop()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--servers", default="uvicorn,granian", help="comma list of uvicorn|granian[:workers]")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--workloads", default="create,list")
    p.add_argument("--invoices", type=int, default=50_000)
    a = p.parse_args()
    kinds = a.servers.split(",")
    workloads = a.workloads.split(",")
    secret = "bench-" + secrets.token_hex(8)
    os.environ["QUIRE_SECRET_KEY"] = secret  # deep cursors minted like the server's
    workdir = Path(tempfile.mkdtemp(prefix="quire-server-choice-"))
    opts = qw.Options(a.seconds, a.warmup, a.concurrency, "raw", 1, 50, 20)
    url = servers.create_pg_database("quire_bench")
    if url is None:
        raise SystemExit("PostgreSQL is needed")
    results: list[dict[str, Any]] = []
    try:
        seed.migrate(url)
        accounts = seed.create_accounts(url, ["bench-writes", "bench-list"])
        seeded = seed.seed_invoices(url, accounts["bench-list"]["sequenceAccountId"], a.invoices)
        print(f"# {a.rounds} rounds x {kinds} with {a.workers} workers, {a.concurrency} clients, {a.seconds:g} s, "
              f"list over {seeded.count:,} invoices; load average {os.getloadavg()}", flush=True)
        for n in range(a.rounds):
            for kind in (kinds if n % 2 == 0 else list(reversed(kinds))):
                name, _, count = kind.partition(":")
                for r in one_run(name, int(count or a.workers), url, workdir, secret, opts, accounts, seeded, workloads):
                    r["round"], r["server"] = n, kind
                    results.append(r)
                    print(f"round {n} {kind:<8} {r['workload']:<7} {r['rate']:>7.1f} req/s p50 {r['p50_ms']:>6.1f} "
                          f"p99 {r['p99_ms']:>6.1f} ms  CPU/req {r['cpu_ms_per_request']:.3f} ms  srv CPU "
                          f"{r['server_cpu_percent']}%  worker CPU shares {r['cpu_share']}  connections "
                          f"{r['connections']}  errors {r['errors']}  load {r['load_avg']}", flush=True)
    finally:
        servers.drop_pg_database(url)
        shutil.rmtree(workdir, ignore_errors=True)
    print("# medians per server and workload:")
    for kind in kinds:
        for w in workloads:
            rs = [r for r in results if r["server"] == kind and r["workload"] == w]
            if not rs:
                continue
            print(f"{kind:<8} {w:<7} CPU/req {statistics.median(r['cpu_ms_per_request'] for r in rs):.3f} ms "
                  f"(min {min(r['cpu_ms_per_request'] for r in rs):.3f}), rate {statistics.median(r['rate'] for r in rs):.1f} "
                  f"req/s, p99 {statistics.median(r['p99_ms'] for r in rs):.1f} ms, busiest worker's CPU share "
                  f"{statistics.median(r['cpu_share'][0] for r in rs):.2f}, connections {[r['connections'] for r in rs]}")
    out = ROOT / "bench" / "results" / f"server-choice-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"# results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
