"""Quire's benchmark suite: `make bench` (everything) or `make bench BENCH_ARGS=--quick` (under 2 minutes).

For each database (SQLite, a fresh file; PostgreSQL, a fresh database next to QUIRE_TEST_DATABASE_URL,
dropped afterwards) and each server configuration (`quire serve --server uvicorn|granian --workers 1|2`),
over loopback with N concurrent clients (default 16):

  ceiling          GET /health, with the default load generator and with httpx (the client's cost)
  create-invoice   (a) POST /invoices
  full-flow        (b) create a customer-bound invoice, add 3 lines, finalize; counted in invoices/s;
                   numbering checked in the database afterwards (fresh account: 1..n, no gaps)
  list             (c) GET /invoices?limit=50 with 7 filters/sorts, paging by cursor to page 20, plus one
                   page at a random depth; over --invoices rows seeded by COPY / Core bulk INSERT
  finalize-storm   (d) 50 drafts of one account finalized at the same instant, --storm-rounds times;
                   0 errors, 0 gaps, 0 duplicates required
  list, 1 client   (c) again with one client (the "unloaded" p50), production configuration only
  cpu              server CPU per POST /invoices in process (bench/cpu_per_request.py, PostgreSQL), once
  pdf              CPU time of a 20-line PDF render (bench/render_split.py), once
  billing          a billing run over --schedules active monthly schedules by two `quire worker`s, then the
                   same date again (bench/billing_run.py, PostgreSQL), once: issue 14's scale targets

Then the peer (bench/peer/: django-silver 0.11.1 under gunicorn, its own virtualenv) runs (b) and (d)
on each database with the same load generator and concurrency, and Quire/peer ratios are printed.
At the end, issue 16's table of targets: each row's measured figure beside its target, PASS/MISS and by
how much (plain text, then the same table in Markdown for the README).
Last, the console's and the customer portal's pages on SQLite with 10,000 invoices (bench/suite/pages.py:
bench/console.py's and bench/portal.py's measurements), each page's p90 beside issue 17's 100 ms target
(--no-pages skips them).
Server RSS (max of any one process of the server) and CPU are sampled through every workload.
Results: one table on stdout, and JSON in bench/results/. Method and findings: docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.suite import pages  # noqa: E402
from bench.suite import peer as peer_mod  # noqa: E402
from bench.suite import quire_workloads as qw  # noqa: E402
from bench.suite import report, seed, servers  # noqa: E402

SERVERS = ("uvicorn-1", "uvicorn-2", "granian-1", "granian-2")
HTTP_WORKLOADS = ("create", "flow", "list", "storm")
WORKLOADS = (*HTTP_WORKLOADS, "cpu", "pdf", "billing")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="2 s per workload, 50,000 seeded invoices, 1 storm round, the production configuration only")
    p.add_argument("--seconds", type=float, help="measured seconds per workload (default 10; quick 2)")
    p.add_argument("--warmup", type=float, help="unmeasured seconds before each workload (default 1; quick 0.3)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator transport")
    p.add_argument("--databases", default="sqlite,postgresql")
    p.add_argument("--servers", help=f"comma list of {', '.join(SERVERS)} (default: all; quick: the --production one)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}")
    p.add_argument("--invoices", type=int, help="invoices seeded for the list workload (default 1,000,000; quick 50,000)")
    p.add_argument("--list-depth", type=int, default=20, help="pages each list client follows by cursor")
    p.add_argument("--storm-rounds", type=int, help="finalize storms per run (default 5; quick 1)")
    p.add_argument("--storm-size", type=int, default=50)
    p.add_argument("--schedules", type=int, help="active monthly schedules of the billing workload (default 100,000; "
                   "quick 5,000)")
    p.add_argument("--no-peer", action="store_true", help="skip django-silver")
    p.add_argument("--peer-workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                   help="gunicorn sync workers for the peer (default 2 x CPUs + 1, gunicorn's advice)")
    p.add_argument("--jobs", choices=("recommended", "app"), default="recommended",
                   help="where deferred jobs (a finalized document's render) run: 'recommended' = in the API "
                        "processes on SQLite, one `nice -n 10 quire worker` beside them on PostgreSQL "
                        "(QUIRE_JOBS_IN_APP=false, docs/jobs.md); 'app' = in the API processes on both")
    p.add_argument("--production", default="granian-2",
                   help="the configuration the targets are checked against (`quire serve --workers 2`'s default server)")
    p.add_argument("--profile", metavar="WORKLOAD", choices=HTTP_WORKLOADS,
                   help="record a py-spy profile of the production server during this workload (slows it; "
                        "bench/suite/profile.py summarises it)")
    p.add_argument("--out", type=Path, help="JSON results path (default bench/results/bench-<time>.json)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, server logs)")
    # issue 17's console and portal page latencies (bench/suite/pages.py)
    p.add_argument("--no-pages", action="store_true", help="skip the console and portal page latencies (SQLite)")
    p.add_argument("--page-invoices", type=int, default=10_000, help="invoices seeded for the page latencies")
    p.add_argument("--page-requests", type=int, help="sequential requests per page (default 200; quick 30)")
    a = p.parse_args()
    a.seconds = a.seconds if a.seconds is not None else (2 if a.quick else 10)
    a.warmup = a.warmup if a.warmup is not None else (0.3 if a.quick else 1)
    a.invoices = a.invoices if a.invoices is not None else (50_000 if a.quick else 1_000_000)
    a.storm_rounds = a.storm_rounds if a.storm_rounds is not None else (1 if a.quick else 5)
    a.schedules = a.schedules if a.schedules is not None else (5_000 if a.quick else 100_000)
    a.page_requests = a.page_requests if a.page_requests is not None else (30 if a.quick else 200)
    a.servers = (a.servers or (a.production if a.quick else ",".join(SERVERS))).split(",")
    a.databases = a.databases.split(",")
    a.workloads = a.workloads.split(",")
    for s in a.servers:
        if s not in SERVERS:
            p.error(f"unknown server configuration {s!r}")
    for w in a.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}")
    return a


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[report.Row] = []
        self.dir = Path(tempfile.mkdtemp(prefix="quire-bench-"))
        self.opts = qw.Options(args.seconds, args.warmup, args.concurrency, args.client, args.storm_rounds,
                               args.storm_size, args.list_depth)
        self.secret = "bench-" + secrets.token_hex(8)
        os.environ["QUIRE_SECRET_KEY"] = self.secret  # the suite mints deep cursors like the server does
        self.extra: dict[str, Any] = {"seeding": {}, "notes": [], "phases_s": {}}
        self.ceiling_done = False

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.extra["phases_s"][name] = round(time.perf_counter() - began, 1)

    def timed(self, fn: Any, *args: Any) -> None:
        """Run a workload and emit its rows, noting its wall time (set-up and warm-up included) and, for
        Quire, the exceptions its server logged meanwhile (the peer reads its own log)."""
        began = time.perf_counter()
        target = args[0] if args and isinstance(args[0], qw.Target) else None
        mark = servers.log_size(target.server.log_path) if target else 0
        rows = fn(*args)
        if rows:
            rows[0].notes["wall_s"] = round(time.perf_counter() - began, 1)
            if target is not None:
                causes = servers.log_causes(target.server.log_path, mark, "unhandled error")
                if causes:
                    rows[0].notes["causes"] = causes
        self.emit(rows)

    def emit(self, rows: list[report.Row]) -> None:
        for r in rows:
            self.rows.append(r)
            print(report.format_row(r), flush=True)
            if not r.sub:
                for line in report.note_lines(r):
                    print(f"{'':<10} {'':<16}   {line}", flush=True)

    def comment(self, text: str) -> None:
        self.extra["notes"].append(text)
        print(f"# {text}", flush=True)

    # --- Quire -------------------------------------------------------------------------------------------

    def quire_database(self, database: str) -> None:
        a = self.args
        if database == "sqlite":
            url: str | None = f"sqlite:///{self.dir}/quire.db"
        else:
            url = servers.create_pg_database("quire_bench")
            if url is None:
                return
        try:
            with self.phase(f"{database} migrate + accounts"):
                seed.migrate(url)
                accounts = seed.create_accounts(url, ["bench-writes", "bench-list"])
            seeded = None
            if "list" in a.workloads:
                with self.phase(f"{database} seed"):
                    seeded = seed.seed_invoices(url, accounts["bench-list"]["sequenceAccountId"], a.invoices)
                self.extra["seeding"][database] = {"invoices": seeded.count, "seconds": round(seeded.seconds, 1)}
                how = "COPY" if database == "postgresql" else "SQLAlchemy Core bulk INSERT"
                self.comment(f"{database}: seeded {seeded.count:,} invoices + 1,000 customers by {how} in "
                             f"{seeded.seconds:.1f} s ({seeded.count / seeded.seconds:,.0f} rows/s)")
            for config in a.servers:
                with self.phase(f"{database} {config}"):
                    self.quire_server(database, url, config, accounts, seeded)
        finally:
            if database == "postgresql" and url:
                servers.drop_pg_database(url)

    def quire_server(self, database: str, url: str, config: str, accounts: dict[str, Any],
                     seeded: seed.Seeded | None) -> None:
        a = self.args
        kind, workers = config.split("-")
        name = f"{kind}-{workers}w"
        separate = database == "postgresql" and a.jobs == "recommended"
        worker = servers.quire_worker(url, self.dir, self.secret) if separate else None
        try:
            server = servers.quire_server(kind, int(workers), url, self.dir, self.secret,
                                          jobs_in_app=not separate).start()
        except (RuntimeError, FileNotFoundError) as exc:
            self.comment(f"{database} {name}: could not start: {exc}")
            if worker is not None:
                servers.stop_group(worker)
            return
        t = qw.Target(server, database, url, name)
        try:
            if not self.ceiling_done:
                self.ceiling_done = True
                secs = 1.0 if a.quick else 3.0
                for transport in ("raw", "httpx"):
                    self.timed(qw.health_ceiling, t, self.opts, transport, secs)
            for workload in a.workloads:
                profile = self.start_profile(t, workload) if a.profile == workload and config == a.production else None
                if workload == "create":
                    self.timed(qw.create_invoice, t, self.opts, accounts["bench-writes"])
                elif workload == "flow":
                    fresh = seed.create_accounts(url, [f"flow-{name}"])[f"flow-{name}"]
                    self.timed(qw.full_flow, t, self.opts, fresh)
                elif workload == "list" and seeded is not None:
                    self.timed(qw.list_invoices, t, self.opts, accounts["bench-list"], seeded)
                    if config == a.production:  # the "unloaded" p50: one client, one request at a time
                        self.timed(self.unloaded_list, t, accounts["bench-list"], seeded)
                elif workload == "storm":
                    fresh = seed.create_accounts(url, [f"storm-{name}"])[f"storm-{name}"]
                    self.timed(qw.finalize_storm, t, self.opts, fresh)
                if profile is not None:
                    self.stop_profile(*profile)
        finally:
            server.stop()
            if worker is not None:
                cpu = servers.stop_group(worker)
                self.comment(f"{database} {name}: jobs ran in one `nice -n 10 quire worker` beside the server "
                             f"({cpu:.1f} s of its CPU over all workloads, not in the server CPU column)")

    def unloaded_list(self, t: qw.Target, creds: dict[str, str], seeded: seed.Seeded) -> list[report.Row]:
        # Unloaded means no background work either: the full flow's finalizes defer one PDF render each (~1,700
        # in a full run), and the run of 2026-12-07 19:17 measured this row while a worker still rendered them.
        waited = servers.wait_for_jobs(t.database_url)
        if waited > 1:
            self.comment(f"{t.database} {t.config}: waited {waited:.0f} s for the job queue to drain before the unloaded list")
        one = qw.Options(**{**vars(self.opts), "concurrency": 1})
        rows = qw.list_invoices(t, one, creds, seeded)
        rows[0].workload = report.UNLOADED_LIST
        return rows

    # --- in process, once: CPU per write request, a stored PDF's render ----------------------------------

    def in_process(self, key: str, argv: list[str], timeout: float) -> None:
        """Run one of the in-process scripts with ``--json`` in a fresh process (its CPU time is its own) and
        keep its result in the JSON under ``key``; a failure is noted, not fatal."""
        try:
            done = subprocess.run([sys.executable, *argv, "--json"], cwd=ROOT, capture_output=True, text=True,
                                  timeout=timeout, check=True)
            self.extra[key] = json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, OSError, ValueError, IndexError) as exc:
            tail = getattr(exc, "stderr", None) or ""
            self.extra[f"{key}_error"] = f"{argv[0]} failed: {str(exc)[:200]} {tail[-300:]}".strip()
            self.comment(self.extra[f"{key}_error"])

    def cpu_per_request(self) -> None:
        n = 500 if self.args.quick else 2000
        with self.phase("cpu per request"):
            self.in_process("cpu_per_request", ["bench/cpu_per_request.py", "create", str(n)], 600)
        c = self.extra.get("cpu_per_request")
        if c:
            self.comment(f"server CPU per POST /invoices in process (PostgreSQL, bench/cpu_per_request.py): least "
                         f"loaded batch {c['least_ms']:.3f} ms, mean {c['mean_ms']:.3f} ms over {c['requests']} requests")

    def pdf_render(self) -> None:
        runs = 15 if self.args.quick else 40
        with self.phase("pdf render"):
            self.in_process("pdf_render", ["bench/render_split.py", "--lines", "20", "--runs", str(runs), "--no-variants"], 600)
        r = self.extra.get("pdf_render")
        if r:
            self.comment(f"20-line PDF render (bench/render_split.py, {r['runs']} different invoices): CPU median "
                         f"{r['total CPU']['median_ms']:.1f} ms, p95 {r['total CPU']['p95_ms']:.1f} ms; wall median "
                         f"{r['total']['median_ms']:.1f} ms (Typst compile {r['compile']['median_ms']:.1f} ms)")

    def billing_run(self) -> None:
        if "postgresql" not in self.args.databases:
            self.comment("billing run skipped: it runs on PostgreSQL only (--databases has no postgresql)")
            return
        with self.phase("billing run"):
            self.in_process("billing_run", ["bench/billing_run.py", "--schedules", str(self.args.schedules)], 3600)
        b = self.extra.get("billing_run")
        if b:
            first, second = b["first"], b["second"]
            self.comment(f"billing run (bench/billing_run.py, PostgreSQL, {b['workers']} workers): {b['schedules']:,} "
                         f"schedules in {first['seconds']} s ({first['invoices_per_s']} invoices/s), the same date "
                         f"again {second['seconds']} s ({second['invoices_created']} created); peak RSS per worker "
                         f"{b['worker_peak_rss_mb']} MB")

    def start_profile(self, t: qw.Target, workload: str) -> tuple[subprocess.Popen[bytes], Path] | None:
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists():
            self.comment("--profile needs py-spy (pip install py-spy)")
            return None
        out = ROOT / "bench" / "results" / f"profile-{t.database}-{t.config}-{workload}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen([str(spy), "record", "--pid", str(t.server.proc.pid), "--subprocesses", "--rate", "200",
                                 "--nonblocking", "--format", "raw", "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        return proc, out

    def stop_profile(self, proc: subprocess.Popen[bytes], out: Path) -> None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        self.comment(f"py-spy profile (collapsed stacks) in {out.relative_to(ROOT)}; the row above ran under py-spy")
        from bench.suite.profile import summarise

        if out.exists():
            for line in summarise(out, top=15):
                print(f"#   {line}")

    # --- the peer ----------------------------------------------------------------------------------------

    def peer_database(self, database: str) -> None:
        a = self.args
        try:
            peer_mod.ensure_venv(self.dir / "peer-install.log")
        except (subprocess.CalledProcessError, OSError) as exc:
            self.comment(f"peer: could not install django-silver: {exc}; see {self.dir / 'peer-install.log'}")
            return
        try:
            peer = peer_mod.Peer(database, self.dir, a.peer_workers)
        except RuntimeError as exc:
            self.comment(f"peer {database}: {exc}")
            return
        try:
            with self.phase(f"{database} peer prepare + start"):
                peer.prepare()
                peer.start()
            if "flow" in a.workloads:
                self.timed(peer_mod.full_flow, peer, self.opts)
            if "storm" in a.workloads:
                self.timed(peer_mod.finalize_storm, peer, self.opts)
        except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
            self.comment(f"peer {database}: failed: {exc}; see {peer.log}")
        finally:
            peer.stop()

    # --- all ---------------------------------------------------------------------------------------------

    def main(self) -> None:
        a = self.args
        info = servers.machine()
        args_json = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()}
        report.print_header(info, args_json)
        began = time.perf_counter()
        try:
            for database in a.databases if set(HTTP_WORKLOADS) & set(a.workloads) else []:
                self.quire_database(database)
                if not a.no_peer and ({"flow", "storm"} & set(a.workloads)):
                    self.peer_database(database)
            if "cpu" in a.workloads:
                self.cpu_per_request()
            if "pdf" in a.workloads:
                self.pdf_render()
            if "billing" in a.workloads:
                self.billing_run()
            if not a.no_pages:  # the console's and the portal's pages: p90 against issue 17's 100 ms
                with self.phase("console + portal pages"):
                    self.extra["pages"] = pages.measure(a.page_invoices, a.page_requests, 5 if a.quick else 20)
        finally:
            print()
            for line in report.ratios(self.rows):
                print(f"# Quire/peer  {line}")
            lists = [r for r in self.rows if r.workload in ("list", report.UNLOADED_LIST)]
            if lists:
                print("# list pages by filter (p50 / p99 ms):")
                for r in lists:
                    parts = ", ".join(f"{k} {v['p50_ms']:.0f}/{v['p99_ms']:.0f}" for k, v in r.notes.get("by_filter", {}).items())
                    print(f"#   {r.database:<10} {r.server:<12} {parts}")
            total = time.perf_counter() - began
            load = [round(x, 2) for x in os.getloadavg()]
            checks = report.targets(self.rows, a.production + "w", self.extra, concurrency=a.concurrency,
                                    storm_size=a.storm_size)
            print()
            print(f"# issue 16's targets (PostgreSQL unless said; production configuration = {a.production}; "
                  f"{'--quick: 2 s per workload, ' if a.quick else ''}load average {info['load_avg_at_start']} "
                  f"at start, {load} at the end):")
            for line in report.target_lines(checks):
                print(line)
            print()
            print("# the same, in Markdown:")
            print(report.target_markdown(checks))
            billing = report.billing_targets(self.extra)
            if billing:
                print()
                print("# issue 14's billing-run targets (PostgreSQL, bench/billing_run.py):")
                for line in report.target_lines(billing):
                    print(line)
                print(report.target_markdown(billing))
            print()
            print(f"# finished in {total:.0f} s; machine load average now {load}")
            out = a.out or ROOT / "bench" / "results" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
            report.write_json(out, info, args_json, self.rows, {**self.extra, "seconds": round(total, 1),
                                                                "targets": [c.as_json() for c in checks],
                                                                "billing_targets": [c.as_json() for c in billing]})
            print(f"# results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
            if a.keep:
                print(f"# kept {self.dir}")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    args = parse_args()

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    Run(args).main()


if __name__ == "__main__":
    main()
