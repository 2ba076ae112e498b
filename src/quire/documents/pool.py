"""PDF rendering off the API process: a small pool of render processes running Typst.

Typst keeps a memoisation cache in the process that compiles, and that cache grows with every distinct
document (docs/pdf-engines.md: about 550 MB after a dozen different 500-line invoices), against a budget
of 300 MB per API worker. So the API process never imports ``typst``; it sends a model builder and the
document's data to a render process (``concurrent.futures.ProcessPoolExecutor``, "spawn" start method),
which builds the ``DocumentModel`` (``quire.documents.model``) there and returns the PDF.

The render process's memory is bounded three ways:

1. when a render leaves it above ``trim_rss_mb`` resident, the pool queues a release right behind that
   render (``typst_render.trim``): Typst's cache is aged out and the freed memory returned to the OS,
   back to about 100-130 MiB. The PDF is already on its way, so the release costs the caller nothing
   unless another render is queued behind it; a process still above the mark at its next render
   releases first (with several processes the release may have gone to another one);
2. if a process is still above ``max_rss_mb`` after a release, the pool retires it: the executor is
   replaced at the next render and the old process exits once its queued renders are done;
3. ``max_tasks_per_child`` recycles every process after ``max_tasks`` renders whatever it reports.

Settings (environment): ``QUIRE_PDF_PROCESSES`` (1), ``QUIRE_PDF_TRIM_RSS_MB`` (180),
``QUIRE_PDF_MAX_RSS_MB`` (250), ``QUIRE_PDF_MAX_TASKS_PER_PROCESS`` (1000); for the render process
itself ``QUIRE_PDF_FONT_PATHS`` (extra font folders) and ``QUIRE_PDF_SYSTEM_FONTS=0`` (only the fonts in
the typst wheel). The pool is created at the first render and shut down by the app's lifespan
(``shutdown()``).

Render processes are started with "spawn", which imports the parent's ``__main__`` module in the
child: a script that renders PDFs needs the usual ``if __name__ == "__main__":`` guard (``python -m
uvicorn``, the ``quire`` command and pytest are fine).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from quire.documents.model import Builder, builder_of

__all__ = ["PoolSettings", "RenderPool", "pool", "render_pdf", "render_pdf_async", "shutdown"]

log = logging.getLogger("quire.documents")


@dataclass(frozen=True)
class PoolSettings:
    #: Render processes per API process. Renders are CPU-bound and single-threaded in Typst.
    processes: int = 1
    #: Above this resident size after a render, the process ages Typst's cache out (MiB).
    trim_rss_mb: float = 180.0
    #: Above this after ageing, the process is retired (MiB).
    max_rss_mb: float = 250.0
    #: Renders before a process is replaced regardless (a backstop against slow leaks).
    max_tasks: int = 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PoolSettings:
        e = os.environ if env is None else env
        return cls(
            processes=max(1, int(e.get("QUIRE_PDF_PROCESSES", cls.processes))),
            trim_rss_mb=float(e.get("QUIRE_PDF_TRIM_RSS_MB", cls.trim_rss_mb)),
            max_rss_mb=float(e.get("QUIRE_PDF_MAX_RSS_MB", cls.max_rss_mb)),
            max_tasks=max(1, int(e.get("QUIRE_PDF_MAX_TASKS_PER_PROCESS", cls.max_tasks))),
        )


# These run in the render process; importing typst_render there (not here) keeps typst out of the API.

def _start() -> None:
    import signal

    from quire.documents import typst_render

    # Ctrl-C reaches the whole process group: the server shuts the pool down itself, so the render process
    # ignores SIGINT instead of dying mid-wait with a KeyboardInterrupt traceback on the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    typst_render.start()


def _render(build: Builder, parts: tuple[Any, ...], trim_mb: float) -> tuple[bytes, dict[str, float]]:
    from quire.documents import typst_render

    return typst_render.render(build, parts, trim_mb)


def _trim(trim_mb: float) -> dict[str, float]:
    from quire.documents import typst_render

    return typst_render.trim(trim_mb)


def _ping() -> dict[str, float]:
    from quire.documents import typst_render

    return typst_render.ping()


class RenderPool:
    """Render processes, created at the first render; thread-safe; usable from sync and async code."""

    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        #: Executors replaced because a process reported more than max_rss_mb, or broke.
        self.retired = 0
        #: What the last render reported about its process: pid, rss_mb.
        self.last_stats: dict[str, float] = {}
        #: What the last release reported: pid, rss_mb.
        self.last_release: dict[str, float] = {}
        self._release_pending = False
        self._doomed: ProcessPoolExecutor | None = None  # over max_rss_mb after a release: retire at next use

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.settings.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    max_tasks_per_child=self.settings.max_tasks,
                )
            return self._executor

    def _retire(self, executor: ProcessPoolExecutor, why: str) -> None:
        with self._lock:
            if self._executor is not executor:
                return
            self._executor = None
            self.retired += 1
        log.info("retiring the PDF render process(es): %s", why)
        executor.shutdown(wait=False)  # queued renders still finish; the processes then exit

    def _submit(self, fn: Any, *args: Any) -> tuple[ProcessPoolExecutor, Future[Any]]:
        doomed, self._doomed = self._doomed, None
        if doomed is not None:
            self._retire(doomed, f"{self.last_release.get('rss_mb', 0):.0f} MiB resident after releasing its cache "
                                 f"(limit {self.settings.max_rss_mb:.0f})")
        for _ in range(3):
            executor = self._current()
            try:
                return executor, executor.submit(fn, *args)
            except (RuntimeError, BrokenProcessPool):  # retired or broken meanwhile
                self._retire(executor, "cannot take work")
        raise RuntimeError("the PDF render pool cannot start a render process")

    @property
    def last_rss_mb(self) -> float:
        return self.last_stats.get("rss_mb", 0.0)

    def _after(self, executor: ProcessPoolExecutor, stats: dict[str, float]) -> None:
        self.last_stats = stats
        if stats["rss_mb"] > min(self.settings.trim_rss_mb, self.settings.max_rss_mb):
            self._queue_release(executor)

    def _queue_release(self, executor: ProcessPoolExecutor) -> None:
        """Release Typst's cache right behind the render that left the process fat (one at a time)."""
        with self._lock:
            if self._release_pending or executor is not self._executor:
                return
            self._release_pending = True
        try:
            future = executor.submit(_trim, min(self.settings.trim_rss_mb, self.settings.max_rss_mb))
        except (RuntimeError, BrokenProcessPool):
            self._release_pending = False
            return
        future.add_done_callback(lambda f: self._released(executor, f))

    def _released(self, executor: ProcessPoolExecutor, future: Future[Any]) -> None:
        # Runs in the executor's own thread: it only records; the retiring happens at the next submit.
        self._release_pending = False
        if future.cancelled() or future.exception() is not None:
            return
        self.last_release = future.result()
        if self.last_release["rss_mb"] > self.settings.max_rss_mb:
            self._doomed = executor

    def render(self, kind: str | Builder, *parts: Any) -> bytes:
        """The PDF of the model ``kind`` (a builder, or the name it was registered under) builds from
        ``parts``, built and rendered in a render process; blocks the calling thread until it answers."""
        for executor, future, last in self._attempts(kind, parts):
            with self._replaced_if_dead(executor, last):
                return self._rendered(executor, future.result())
        raise AssertionError("unreachable")

    async def render_async(self, kind: str | Builder, *parts: Any) -> bytes:
        """The PDF, awaited: no thread of the caller's is held while the render process works."""
        for executor, future, last in self._attempts(kind, parts):
            with self._replaced_if_dead(executor, last):
                return self._rendered(executor, await asyncio.wrap_future(future))
        raise AssertionError("unreachable")

    def _attempts(self, kind: str | Builder, parts: tuple[Any, ...]) -> Iterator[tuple[ProcessPoolExecutor, Future[Any], bool]]:
        """A render submitted, and once more if its process died: (executor, future, is it the last try)."""
        build = builder_of(kind)
        for last in (False, True):
            yield *self._submit(_render, build, parts, self.settings.trim_rss_mb), last

    @contextlib.contextmanager
    def _replaced_if_dead(self, executor: ProcessPoolExecutor, last: bool) -> Iterator[None]:
        """A process that died (killed, crashed) is retired; the render is tried again unless ``last``."""
        try:
            yield
        except BrokenProcessPool:
            self._retire(executor, "a render process died")
            if last:
                raise

    def _rendered(self, executor: ProcessPoolExecutor, result: tuple[bytes, dict[str, float]]) -> bytes:
        pdf, stats = result
        self._after(executor, stats)
        return pdf

    def ping(self) -> dict[str, float]:
        """A render process's pid, resident and peak MiB, renders and releases (starting one if needed)."""
        _, future = self._submit(_ping)
        return future.result()  # type: ignore[no-any-return]

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)


_pool: RenderPool | None = None
_pool_lock = threading.Lock()


def pool() -> RenderPool:
    """The process-wide render pool (its settings read from the environment once)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RenderPool(PoolSettings.from_env())
        return _pool


def render_pdf(kind: str | Builder, *parts: Any) -> bytes:
    """The PDF of what ``kind`` (a builder, or its registered name) builds from ``parts``
    (``quire.documents.model``), rendered in a render process."""
    return pool().render(kind, *parts)


async def render_pdf_async(kind: str | Builder, *parts: Any) -> bytes:
    return await pool().render_async(kind, *parts)


def shutdown(wait: bool = True) -> None:
    """Stop the render processes (the next render starts new ones). Called on app shutdown."""
    with _pool_lock:
        current = _pool
    if current is not None:
        current.shutdown(wait=wait)
