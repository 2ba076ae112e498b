"""The benchmark's own HTTP client and arithmetic (bench/suite): a wrong parser or percentile would
print wrong figures without failing, so they are checked here against a tiny local server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("psutil")  # the bench extra: pip install -e ".[bench]"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.suite.loadgen import RawHttp, Recorder, percentile  # noqa: E402
from bench.suite.report import numbering_check  # noqa: E402

RESPONSES = {
    b"/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"/chunked": b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    b"/close": b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 4\r\n\r\nboom",
    b"/eof": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
}


async def _serve(connections: list[int]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            path = head.split(b" ")[1]
            writer.write(RESPONSES[path])
            await writer.drain()
            if path in (b"/close", b"/eof"):
                break
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_raw_client_reads_every_framing_and_reconnects_after_close() -> None:
    async def go() -> None:
        connections: list[int] = []
        server = await _serve(connections)
        port = server.sockets[0].getsockname()[1]
        client = RawHttp("127.0.0.1", port, auth=("id", "secret"))
        try:
            r = await client.request("GET", "/length")
            assert (r.status, r.body) == (200, b"hello")
            r = await client.request("POST", "/chunked", json_body={"a": 1})
            assert (r.status, r.body) == (201, b"abcde")
            assert len(connections) == 1  # keep-alive
            r = await client.request("GET", "/close")
            assert (r.status, r.body) == (500, b"boom")
            r = await client.request("GET", "/eof")
            assert (r.status, r.body) == (200, b"until the end")
            r = await client.request("GET", "/length")
            assert r.body == b"hello"
            assert len(connections) == 3  # a new connection after each close
        finally:
            client.close()
            server.close()
            await server.wait_closed()

    asyncio.run(go())


def test_recorder_counts_unexpected_statuses_as_errors() -> None:
    async def go() -> Recorder:
        server = await _serve([])
        port = server.sockets[0].getsockname()[1]
        client = RawHttp("127.0.0.1", port)
        rec = Recorder()
        try:
            await rec.call("ok", client, "GET", "/length")
            await rec.call("bad", client, "GET", "/close")
        finally:
            client.close()
            server.close()
            await server.wait_closed()
        return rec

    rec = asyncio.run(go())
    assert rec.total_requests == 2 and rec.errors["bad"] == 1 and rec.errors["ok"] == 0
    assert "HTTP 500: boom" in rec.error_samples[0]


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) == 0.0


def test_numbering_check_finds_gaps_and_duplicates() -> None:
    assert numbering_check(["INV00001", "INV00002", "INV00003"], expected=3) == {
        "numbered": 3, "duplicates": 0, "gaps": 0, "max": 3, "expected": 3, "missing": 0}
    found = numbering_check(["INV00001", "INV00001", "INV00004"])
    assert found["duplicates"] == 1 and found["gaps"] == 2
