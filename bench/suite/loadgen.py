"""The load generator: N concurrent asyncio clients over loopback, latency per operation.

Two transports share one interface (``await client.request(method, path, json=...)``):

``RawHttp`` (the default)
    A minimal HTTP/1.1 client on asyncio streams (uvloop when installed): one keep-alive connection per
    virtual client, like wrk. It understands Content-Length, chunked bodies and ``Connection: close``
    (gunicorn's sync workers close after every response; the client then reconnects, and the reconnect
    is part of that request's latency, as it would be for any client of that server). Its cost is
    about a tenth of httpx's per request (docs/performance.md: the /health ceiling rows), which
    matters on a 2-CPU machine where the client and the server share the cores.
``HttpxHttp``
    httpx.AsyncClient, kept so the suite can show why it is not the default: on this machine it
    saturates a core of its own at under 1,000 requests/s (``--client httpx``).

Every request is timed with ``time.perf_counter`` around the whole exchange (write, wait, read the
body). ``Recorder`` keeps the raw latencies per operation; percentiles are nearest-rank.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class RawHttp:
    """One HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int, *, auth: tuple[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        fixed = {"Host": f"{host}:{port}", "Accept": "application/json", **(headers or {})}
        if auth is not None:
            fixed["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = False
        self.reconnects = 0

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._used = False

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, *, json_body: Any = None,
                      headers: dict[str, str] | None = None) -> Reply:
        body = b"" if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if json_body is not None:
            extra += "Content-Type: application/json\r\n"
        if body or method in ("POST", "PUT", "PATCH"):
            extra += f"Content-Length: {len(body)}\r\n"
        data = f"{method} {path} HTTP/1.1\r\n{self._fixed}{extra}\r\n".encode() + body
        for attempt in (0, 1):
            if self._writer is None:
                await self._connect()
                self.reconnects += 1
            reused = self._used
            assert self._writer is not None and self._reader is not None
            try:
                self._writer.write(data)
                status, close, payload = await self._read(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                # Only a keep-alive connection the server had already dropped is retried: nothing of
                # the request was processed, so a retry cannot duplicate a write.
                if attempt == 0 and reused:
                    continue
                raise
            self._used = True
            if close:
                self.close()
            return Reply(status, payload)
        raise AssertionError("unreachable")

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length: int | None = None
        chunked = close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            return status, close, b"".join(parts)
        if length is not None:
            return status, close, await reader.readexactly(length)
        return status, True, await reader.read()  # no length: the body runs to the end of the connection


class HttpxHttp:
    """The same interface over httpx.AsyncClient (one client, one connection per virtual client)."""

    def __init__(self, host: str, port: int, *, auth: tuple[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._client = httpx.AsyncClient(base_url=f"http://{host}:{port}", auth=auth, headers=headers,
                                         limits=limits, timeout=60)
        self.reconnects = 0

    async def request(self, method: str, path: str, *, json_body: Any = None,
                      headers: dict[str, str] | None = None) -> Reply:
        r = await self._client.request(method, path, json=json_body, headers=headers)
        return Reply(r.status_code, r.content)

    def close(self) -> None:
        asyncio.get_running_loop().create_task(self._client.aclose())


TRANSPORTS = {"raw": RawHttp, "httpx": HttpxHttp}


@dataclass
class OpStats:
    name: str
    count: int
    errors: int
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Recorder:
    """Latencies (seconds) and error counts per operation, plus the first few error bodies."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    exceptions: int = 0

    async def call(self, op: str, client: Any, method: str, path: str, *, json_body: Any = None,
                   headers: dict[str, str] | None = None, expect: tuple[int, ...] = (200, 201),
                   also: tuple[str, ...] = ()) -> Reply | None:
        """One timed request; a non-``expect`` status or a transport error counts as an error of ``op``.
        ``also`` names derived ("~...") series that get the same latency (a depth bucket, a filter)."""
        start = time.perf_counter()
        try:
            reply = await client.request(method, path, json_body=json_body, headers=headers)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self.latencies[op].append(time.perf_counter() - start)
            self.errors[op] += 1
            self.exceptions += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{op}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - start
        self.latencies[op].append(elapsed)
        for name in also:
            self.latencies[name].append(elapsed)
        if reply.status not in expect:
            self.errors[op] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{op}: HTTP {reply.status}: {_brief(reply.body)}")
        return reply

    def record(self, op: str, seconds: float) -> None:
        """A derived timing (e.g. a whole flow of several requests)."""
        self.latencies[op].append(seconds)

    def stats(self, elapsed: float) -> list[OpStats]:
        out = []
        for op, values in self.latencies.items():
            values = sorted(values)
            out.append(OpStats(op, len(values), self.errors[op], len(values) / elapsed if elapsed else 0.0,
                               percentile(values, 50) * 1000, percentile(values, 95) * 1000,
                               percentile(values, 99) * 1000, (values[-1] if values else 0.0) * 1000))
        return out

    @property
    def total_requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


def _brief(body: bytes) -> str:
    """An error body in a line: an HTML page's <title>, else the first 160 characters."""
    text = body.decode("utf-8", "replace")
    m = re.search(r"<title>(.*?)</title>", text, re.S | re.I)
    return (m.group(1) if m else " ".join(text.split()))[:160]


Scenario = Callable[[Any, Recorder, int], Awaitable[None]]


async def run_clients(make_client: Callable[[], Any], concurrency: int, scenario: Scenario, *,
                      seconds: float | None = None, iterations: int | None = None,
                      recorder: Recorder | None = None) -> tuple[Recorder, float, int]:
    """Run ``scenario(client, recorder, client_index)`` in ``concurrency`` clients, each with its own
    connection, until ``seconds`` have passed (checked between iterations) or, with ``iterations``,
    exactly once per client. Returns the recorder, the elapsed wall time and the completed iterations."""
    recorder = recorder or Recorder()
    clients = [make_client() for _ in range(concurrency)]
    done = 0
    began = time.perf_counter()
    stop_at = began + (seconds or 0)

    async def one(index: int) -> None:
        nonlocal done
        client = clients[index]
        if iterations is not None:
            for _ in range(iterations):
                await scenario(client, recorder, index)
                done += 1
            return
        while time.perf_counter() < stop_at:
            await scenario(client, recorder, index)
            done += 1

    try:
        await asyncio.gather(*(one(i) for i in range(concurrency)))
    finally:
        elapsed = time.perf_counter() - began
        for c in clients:
            c.close()
    return recorder, elapsed, done


def event_loop_runner() -> Callable[[Awaitable[Any]], Any]:
    """uvloop.run when uvloop is installed (it is, with uvicorn[standard]); asyncio.run otherwise."""
    try:
        import uvloop

        return uvloop.run  # type: ignore[no-any-return]
    except ImportError:
        return asyncio.run
