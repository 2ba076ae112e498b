"""The lean path of ``POST /usage-events`` (``quire.usage.fastpath``) answers exactly as the route does.

The route is reached by the same request with an ``Idempotency-Key`` (the lean path never takes one),
so each pair below differs only in which path served it. ``EventWriter.written`` tells which did.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from quire.core.db import make_engine
from quire.usage.fastpath import EventWriter
from quire.usage.service import StoredEvent
from tests.support import ApiClient, LiveServer

JSON = {"content-type": "application/json"}


def _writer(server: LiveServer) -> EventWriter | None:
    writer: EventWriter | None = server.server.config.app.state.event_writer
    return writer


def _lean(server: LiveServer) -> EventWriter:
    writer = _writer(server)
    assert writer is not None
    return writer


#: The lean path serves PostgreSQL only (on SQLite: test_the_lean_path_is_postgresqls_only).
postgresql_only = pytest.mark.parametrize("server", ["postgresql"], indirect=True)


def _keyed() -> dict[str, str]:
    return {**JSON, "Idempotency-Key": str(uuid.uuid4())}


async def _query(server: LiveServer, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(server.settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def _event(ceid: str, extra: str = "") -> bytes:
    # Raw text, so that 2.50 reaches the server as written (the answer must keep it digit for digit).
    return (f'{{"customerAlias": "cust-lean", "eventType": "api_call", "customerEventId": "{ceid}", '
            f'"eventTimestamp": "2024-03-01T10:00:00+01:00", "eventProperties": {{"gb": 2.50, "n": 3, "region": "eu"{extra}}}}}').encode()


def _without_ids(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("id", "customerEventId")}


def test_the_lean_path_is_postgresqls_only(server: LiveServer, client: ApiClient) -> None:
    writer = _writer(server)
    assert (writer is None) == (server.name == "sqlite")
    response = client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"})
    assert response.status_code == 201, response.text


@postgresql_only
def test_it_answers_and_stores_what_the_route_does(server: LiveServer, client: ApiClient) -> None:
    writer = _lean(server)
    first = client.post("/usage-events", content=_event("e-1"), headers=JSON)
    assert first.status_code == 201, first.text
    before = writer.written  # the first request of a credential verifies it on the route
    lean = client.post("/usage-events", content=_event("e-2"), headers=JSON)
    assert writer.written == before + 1, "a cached credential's plain event takes the lean path"
    routed = client.post("/usage-events", content=_event("e-3"), headers=_keyed())
    assert writer.written == before + 1, "an Idempotency-Key takes the route"
    for response in (first, lean, routed):
        assert response.status_code == 201, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["sequence-version"] == routed.headers["sequence-version"]
        assert '"gb":2.50' in response.text
    assert _without_ids(lean.json()) == _without_ids(routed.json()) == _without_ids(first.json())
    assert lean.json()["customerEventId"] == "e-2"
    assert lean.json()["eventTimestamp"] == "2024-03-01T09:00:00Z"
    listed = client.get("/usage-events", params={"customerAlias": "cust-lean", "limit": 10}).json()["items"]
    by_event = {item["customerEventId"]: item for item in listed}
    assert by_event["e-2"] == lean.json()
    assert by_event["e-3"] == routed.json()


@postgresql_only
def test_an_event_without_customer_event_id_or_timestamp(server: LiveServer, client: ApiClient) -> None:
    writer = _lean(server)
    client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"})
    before = writer.written
    response = client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"})
    assert writer.written == before + 1
    body = response.json()
    assert body["customerEventId"] == body["id"]
    assert body["eventProperties"] == {}
    assert abs(datetime.fromisoformat(body["eventTimestamp"]) - datetime.now(UTC)).total_seconds() < 60


BAD_BODIES = [
    b"",
    b"[]",
    b"{not json",
    b'{"customerAlias": "a"}',
    b'{"customerAlias": "a", "eventType": 5}',
    b'{"customerAlias": "", "eventType": "t"}',
    b'{"customerAlias": "' + b"x" * 256 + b'", "eventType": "t"}',
    b'{"customerAlias": "a\\u0000", "eventType": "t"}',
    b'{"customerAlias": "a", "eventType": "t", "eventTimestamp": "2024-01-01T00:00:00"}',
    b'{"customerAlias": "a", "eventType": "t", "eventTimestamp": "yesterday"}',
    b'{"customerAlias": "a", "eventType": "t", "eventProperties": {"n": 1e999}}',
    b'{"customerAlias": "a", "eventType": "t", "eventProperties": {"n": NaN}}',
    b'{"customerAlias": "a", "eventType": "t", "eventProperties": [1]}',
    b'{"customerAlias": "a", "eventType": "t", "eventProperties": {"k\\u0000": 1}}',
]


@postgresql_only
@pytest.mark.parametrize("raw", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_a_bad_body_gets_the_routes_error(server: LiveServer, client: ApiClient, raw: bytes) -> None:
    writer = _lean(server)
    assert client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"}).status_code == 201
    before = writer.written
    lean = client.post("/usage-events", content=raw, headers=JSON)
    routed = client.post("/usage-events", content=raw, headers=_keyed())
    assert lean.status_code == routed.status_code == 400, (lean.text, routed.text)
    assert lean.json() == routed.json()
    assert writer.written == before


@postgresql_only
def test_a_streamed_body_over_the_limit_gets_the_routes_413(server: LiveServer, client: ApiClient) -> None:
    _lean(server)
    assert client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"}).status_code == 201
    padding = b" " * (server.settings.max_body_bytes + 10)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit trips while the body is read
        yield b'{"customerAlias": "c", "eventType": "t"'
        yield padding
        yield b"}"

    lean = client.post("/usage-events", content=chunks(), headers=JSON)
    routed = client.post("/usage-events", content=chunks(), headers=_keyed())
    assert lean.status_code == routed.status_code == 413
    assert lean.json() == routed.json()


@postgresql_only
def test_concurrent_events_are_all_stored_once_and_duplicates_counted(server: LiveServer, client: ApiClient) -> None:
    _lean(server)
    assert client.post("/usage-events", json={"customerAlias": "warm", "eventType": "t"}).status_code == 201

    def post(i: int) -> httpx.Response:
        ceid = "dup" if i % 10 == 0 else f"c-{i}"
        return client.post("/usage-events", json={"customerAlias": "cust-many", "eventType": "many",
                                                  "customerEventId": ceid, "eventProperties": {"i": i}})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(post, range(200)))
    assert [r.status_code for r in responses] == [201] * 200
    account = client.credential.account_id  # type: ignore[union-attr]
    rows = asyncio.run(_query(server, "SELECT customer_event_id, revision FROM usage_events "
                                      "WHERE account_id = $1 AND event_type = 'many'", account))
    assert len(rows) == 181  # 180 distinct ids and one "dup"
    assert {r["customer_event_id"]: r["revision"] for r in rows}["dup"] == 20, "no lost update among the 20 duplicates"


@postgresql_only
def test_a_batch_with_a_refused_event_writes_the_others(server: LiveServer, client: ApiClient) -> None:
    _lean(server)
    account = client.credential.account_id  # type: ignore[union-attr]
    now = datetime.now(UTC)

    def stored(ceid: str, alias: str, account_id: str = account) -> StoredEvent:
        return StoredEvent(id=str(uuid.uuid4()), account_id=account_id, customer_event_id=ceid, customer_alias=alias,
                           event_type="batch", event_timestamp=now, event_properties='{"n":1}', received_at=now, revision=1)

    async def run() -> tuple[list[Any], EventWriter]:
        engine = make_engine(server.settings)
        try:
            writer = EventWriter(engine)
            writer.MAX_FLUSHES = 1  # the first event goes alone, the three others wait and go as one batch
            events = [stored("w-0", "alone"), stored("w-1", "first"), stored("w-2", "orphan", str(uuid.uuid4())),
                      stored("w-1", "later")]
            results = await asyncio.gather(*(writer.write(e) for e in events), return_exceptions=True)
            await writer.close()
            return results, writer
        finally:
            await engine.dispose()

    results, writer = asyncio.run(run())
    assert results[0] is None and results[1] is None and results[3] is None
    assert isinstance(results[2], asyncpg.ForeignKeyViolationError)
    assert (writer.written, writer.batches) == (3, 3), "the failed batch was written again event by event"
    rows = asyncio.run(_query(server, "SELECT customer_event_id, customer_alias, revision FROM usage_events "
                                      "WHERE account_id = $1 AND event_type = 'batch' ORDER BY 1", account))
    assert [tuple(r) for r in rows] == [("w-0", "alone", 1), ("w-1", "later", 2)], "arrival order kept in the retry"


@postgresql_only
def test_a_batch_of_concurrent_events_is_one_round_trip(server: LiveServer, client: ApiClient) -> None:
    _lean(server)
    account = client.credential.account_id  # type: ignore[union-attr]
    now = datetime.now(UTC)

    async def run() -> EventWriter:
        engine = make_engine(server.settings)
        try:
            writer = EventWriter(engine)
            writer.MAX_FLUSHES = 1
            await asyncio.gather(*(writer.write(StoredEvent(
                id=str(uuid.uuid4()), account_id=account, customer_event_id=f"b-{i}", customer_alias="a", event_type="one-trip",
                event_timestamp=now, event_properties="{}", received_at=now, revision=1)) for i in range(50)))
            await writer.close()
            return writer
        finally:
            await engine.dispose()

    writer = asyncio.run(run())
    assert (writer.written, writer.batches) == (50, 2), "the first event alone, the 49 that waited for it together"


@postgresql_only
def test_an_account_deleted_while_its_credential_is_cached(server: LiveServer, client: ApiClient) -> None:
    writer = _lean(server)
    assert client.post("/usage-events", json={"customerAlias": "c", "eventType": "t"}).status_code == 201
    account = client.credential.account_id  # type: ignore[union-attr]
    asyncio.run(_query(server, "DELETE FROM accounts WHERE id = $1", account))
    before = writer.written
    lean = client.post("/usage-events", content=_event("gone-1"), headers=JSON)
    routed = client.post("/usage-events", content=_event("gone-2"), headers=_keyed())
    assert lean.status_code == routed.status_code == 400, (lean.text, routed.text)
    assert lean.json() == routed.json()
    assert writer.written == before
