"""The app's in-process worker gives way to requests (docs/webhooks.md#throughput, docs/jobs.md#workers).

Jobs and requests share one process, one event loop and (on SQLite) one write lock. A tiny ASGI middleware
(:class:`RequestsInFlight`) counts the HTTP requests in flight; before the in-process worker claims a job, and
between the steps of a long job (a webhook batch), it waits for :meth:`RequestGate.turn`: until no request has
been in flight for ``idle_gap`` (2 ms). So a request never queues behind a job that started while it was waiting.

No starvation: a job that has waited ``max_wait`` seconds goes anyway, but only one such **forced** turn is
granted per ``max_wait`` among all waiting jobs. Under a constant load the jobs still advance, one step per
``max_wait`` at least, and the API keeps most of the process.
"""

from __future__ import annotations

import asyncio
import math
import os

from starlette.types import ASGIApp, Receive, Scope, Send

#: How long a job waits for a quiet moment before it goes anyway (QUIRE_JOBS_MAX_WAIT_MS, default 400:
#: docs/webhooks.md#throughput measured 100 ms giving the jobs a third to a half of a busy process, 400 ms
#: keeping 76–98% of the API's rate).
DEFAULT_MAX_WAIT = 0.4
#: A quiet moment: no request in flight for this long (clients in a loop send their next request within
#: about a millisecond of an answer; a job that went in that gap would meet it).
DEFAULT_IDLE_GAP = 0.002


def max_wait_from_env() -> float:
    return max(0.0, float(os.environ.get("QUIRE_JOBS_MAX_WAIT_MS", DEFAULT_MAX_WAIT * 1000))) / 1000


class RequestGate:
    """Requests in flight in this process (``enter``/``leave``), and the turns of its jobs (``turn``)."""

    def __init__(self, max_wait: float = DEFAULT_MAX_WAIT, idle_gap: float = DEFAULT_IDLE_GAP) -> None:
        self.max_wait = max_wait
        self.idle_gap = idle_gap
        self.active = 0
        self._last_leave = -math.inf
        self.turns = 0
        self.forced = 0  # turns taken while requests were in flight
        self._idle: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_forced = -math.inf

    def _event(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._idle is None or self._loop is not loop:  # an Event belongs to the loop that first waits on it
            self._idle, self._loop = asyncio.Event(), loop
            if self.active == 0:
                self._idle.set()
        return self._idle

    def enter(self) -> None:
        self.active += 1
        if self._idle is not None:
            self._idle.clear()

    def leave(self) -> None:
        self.active -= 1
        if self.active == 0:
            self._last_leave = _now()
            if self._idle is not None:
                self._idle.set()

    async def turn(self) -> bool:
        """Wait for a quiet moment (no request in flight for ``idle_gap``): True. After ``max_wait`` of
        waiting, go anyway (False) once no other job has gone anyway within the last ``max_wait``."""
        started = _now()
        while True:
            now = _now()
            if self.active == 0 and now - self._last_leave >= self.idle_gap:
                self.turns += 1
                return True
            due = max(started + self.max_wait, self._last_forced + self.max_wait)
            if now >= due:
                self._last_forced = now
                self.turns += 1
                self.forced += 1
                return False
            if self.active == 0:  # quiet, but not for long enough yet
                await asyncio.sleep(min(self._last_leave + self.idle_gap, due) - now)
                continue
            try:
                await asyncio.wait_for(self._event().wait(), timeout=due - now)
            except TimeoutError:
                pass


def _now() -> float:
    return asyncio.get_running_loop().time()


class RequestsInFlight:
    """ASGI middleware: ``gate.enter()`` when an HTTP request starts, ``gate.leave()`` when it is answered."""

    def __init__(self, app: ASGIApp, gate: RequestGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = scope["type"] == "http"  # not lifespan, not websockets
        if request:
            self.gate.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            if request:
                self.gate.leave()
