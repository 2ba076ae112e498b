"""Servers under test, their databases, and what is sampled from them (RSS, CPU).

Every server runs in its own process group (``start_new_session``) so that stopping it stops its
workers too; nothing is stopped that this module did not start.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BIN = Path(sys.executable).parent
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "host": platform.node(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        **_source_state(),
    }


def _source_state() -> dict[str, Any]:
    """Which Quire was measured: the commit, and how many files under src/ differ from it (read-only git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": head, "src_files_changed_since_commit": len(dirty)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- PostgreSQL: a fresh database next to QUIRE_TEST_DATABASE_URL ------------------------------------


def admin_url() -> str:
    return os.environ.get("QUIRE_TEST_DATABASE_URL", DEFAULT_ADMIN_URL)


def _pg(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_url(), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def create_pg_database(prefix: str) -> str | None:
    """Create ``<prefix>_<random>`` beside the admin URL's database; its URL, or None if unreachable."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        _pg(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL rows
        print(f"# PostgreSQL not usable at {admin_url()}: {exc!r}; its rows are skipped", flush=True)
        return None
    return admin_url().rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    try:
        _pg(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001
        print(f"# could not drop {url}: {exc!r}", flush=True)


def due_jobs(database_url: str) -> int:
    """Jobs of the queue that are running or due now (``todo`` scheduled for later, e.g. a periodic tick or a
    retry's backoff, are not counted)."""
    from sqlalchemy import func, or_, select, text

    from quire.config import Settings
    from quire.core import clock
    from quire.core.db import make_engine
    from quire.jobs.sqlite import jobs_table as jobs

    settings = Settings(database_url=database_url)

    async def count() -> int:
        engine = make_engine(settings)
        try:
            async with engine.connect() as conn:
                if settings.is_sqlite:
                    stmt = select(func.count()).select_from(jobs).where(or_(
                        jobs.c.status == "doing", (jobs.c.status == "todo") & or_(
                            jobs.c.scheduled_at.is_(None), jobs.c.scheduled_at <= clock.now())))
                else:
                    stmt = text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' OR "
                                "(status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))")
                return int(await conn.scalar(stmt) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(count())


def wait_for_jobs(database_url: str, timeout: float = 300.0) -> float:
    """Wait until the job queue has nothing running or due (the documents the workloads before deferred), so a
    measurement that should be unloaded is; the seconds waited."""
    began = time.perf_counter()
    while due_jobs(database_url) and time.perf_counter() - began < timeout:
        time.sleep(0.5)
    return time.perf_counter() - began


# --- sampling a process tree ---------------------------------------------------------------------------


@dataclass
class Sample:
    max_rss_mb: float = 0.0
    cpu_percent: float = 0.0  # server tree, over the window (100 = one core)
    client_cpu_percent: float = 0.0
    processes: int = 0


class TreeSampler:
    """Samples the RSS of every process in a server's tree (root and workers) every ``interval`` s on a
    thread, and the CPU time of the tree and of this (client) process over a window."""

    def __init__(self, root_pid: int, interval: float = 0.2) -> None:
        self.root = psutil.Process(root_pid)
        self.interval = interval
        self._max_rss = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._cpu0: dict[int, float] = {}
        self._t0 = 0.0
        self._me = psutil.Process()
        self._me0 = 0.0
        self._nproc = 0

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return []

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample_rss()

    def _sample_rss(self) -> None:
        procs = self.tree()
        top = 0
        for p in procs:
            try:
                top = max(top, p.memory_info().rss)
            except psutil.Error:
                continue
        with self._lock:
            self._max_rss = max(self._max_rss, top)
            self._nproc = max(self._nproc, len(procs))

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _cpu_times(self) -> dict[int, float]:
        out = {}
        for p in self.tree():
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.Error:
                continue
        return out

    def begin_window(self) -> None:
        self._sample_rss()
        with self._lock:
            self._max_rss = 0
            self._nproc = 0
        self._sample_rss()
        self._cpu0 = self._cpu_times()
        t = self._me.cpu_times()
        self._me0 = t.user + t.system
        self._t0 = time.perf_counter()

    def end_window(self) -> Sample:
        self._sample_rss()
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        now = self._cpu_times()
        used = sum(v - self._cpu0.get(pid, 0.0) for pid, v in now.items())
        t = self._me.cpu_times()
        with self._lock:
            return Sample(self._max_rss / 2**20, 100 * used / elapsed, 100 * (t.user + t.system - self._me0) / elapsed,
                          self._nproc)


# --- a server process ------------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A server started as ``argv`` in its own process group, answering ``health_path`` when up."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    health_path: str = "/health"
    cwd: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    sampler: TreeSampler | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self, timeout: float = 60) -> ServerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        url = f"http://{self.host}:{self.port}{self.health_path}"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 - loopback only
                    if r.status < 500:
                        break
            except urllib.error.HTTPError as exc:
                if exc.code < 500:  # e.g. 401/404: the server answers
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer on {url} within {timeout:.0f} s; see {self.log_path}")
        time.sleep(0.3)  # let every worker of a multi-worker server finish booting
        self.sampler = TreeSampler(self.proc.pid).start()
        return self

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.sampler.tree()] if self.sampler else []

    def stop(self) -> None:
        if self.sampler:
            self.sampler.stop()
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def log_causes(log: Path, since: int, marker: str) -> dict[str, int]:
    """The exception behind each logged 5xx after byte ``since`` of a server log: each report starts with
    ``marker`` (Quire: "unhandled error"; Django: "Internal Server Error:") and its last exception line
    is the cause (the outermost of a chain)."""
    import re
    from collections import Counter

    try:
        text = log.read_bytes()[since:].decode("utf-8", "replace")
    except OSError:
        return {}
    causes: Counter[str] = Counter()
    for chunk in text.split(marker)[1:]:
        found = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|Locked|Timeout)\b[^\n]{0,90})", chunk, re.M)
        if found:
            causes[found[-1]] += 1
    return dict(causes.most_common(4))


def log_size(log: Path) -> int:
    try:
        return log.stat().st_size
    except OSError:
        return 0


def quire_worker(database_url: str, log_dir: Path, secret_key: str) -> subprocess.Popen[bytes]:
    """``nice -n 10 quire worker`` in its own process group: the jobs of a PostgreSQL deployment that runs
    them beside the API (docs/jobs.md), at a lower priority than the API's requests."""
    env = {**os.environ, "QUIRE_DATABASE_URL": database_url, "QUIRE_SECRET_KEY": secret_key}
    log = (log_dir / f"quire-worker-{free_port()}.log").open("ab")
    return subprocess.Popen(["nice", "-n", "10", str(BIN / "quire"), "worker"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_group(proc: subprocess.Popen[bytes]) -> float:
    """Stop a process started in its own group (SIGTERM, then SIGKILL); its CPU seconds until then."""
    try:
        cpu = sum(p.cpu_times().user + p.cpu_times().system
                  for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)])
    except psutil.Error:
        cpu = 0.0
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    return cpu


def quire_server(kind: str, workers: int, database_url: str, log_dir: Path, secret_key: str, *,
                 jobs_in_app: bool = True) -> ServerProcess:
    """``quire serve --server granian|uvicorn --workers N``, exactly as users run it (granian is the default,
    docs/performance.md#server-choice). ``jobs_in_app=False``: the server defers jobs and leaves them to a
    ``quire_worker``."""
    port = free_port()
    env = {**os.environ, "QUIRE_DATABASE_URL": database_url, "QUIRE_SECRET_KEY": secret_key}
    if not jobs_in_app:
        env |= {"QUIRE_JOBS_IN_APP": "false", "QUIRE_PERIODIC_IN_APP": "false"}
    if kind not in ("uvicorn", "granian"):
        raise ValueError(kind)
    argv = [str(BIN / "quire"), "serve", "--server", kind, "--no-migrate", "--port", str(port), "--workers", str(workers)]
    name = f"quire-{kind}-{workers}w"
    return ServerProcess(name, argv, env, port, log_dir / f"{name}-{port}.log")
