"""Idempotency-Key on writes: replay, conflicting reuse, concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.factories import customer_body
from tests.support import ApiClient, LiveServer


def total(client: ApiClient) -> int:
    return client.get("/customers", params={"includeArchived": "true"}).json()["pagination"]["totalResultSize"]


def test_retry_with_same_key_replays(client: ApiClient) -> None:
    body = customer_body()
    first = client.post("/customers", json=body, headers={"Idempotency-Key": "create-1"})
    second = client.post("/customers", json=body, headers={"Idempotency-Key": "create-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert total(client) == 1


def test_same_key_different_body_is_409(client: ApiClient) -> None:
    assert client.post("/customers", json=customer_body(), headers={"Idempotency-Key": "k"}).status_code == 201
    reused = client.post("/customers", json=customer_body(), headers={"Idempotency-Key": "k"})
    assert reused.status_code == 409
    assert reused.json()["error"]["type"] == "IdempotencyKeyReused"
    other_path = client.post("/customer-aliases", json={}, headers={"Idempotency-Key": "k"})
    assert other_path.status_code == 409
    assert total(client) == 1


def test_keys_are_scoped_per_account(client: ApiClient, other_client: ApiClient) -> None:
    body = customer_body()
    a = client.post("/customers", json=body, headers={"Idempotency-Key": "shared"})
    b = other_client.post("/customers", json=body, headers={"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.json()["customer"]["id"] != b.json()["customer"]["id"]


def test_failed_request_does_not_burn_the_key(client: ApiClient) -> None:
    bad = client.post("/customers", json={**customer_body(), "email": "nope"}, headers={"Idempotency-Key": "k2"})
    assert bad.status_code == 400
    assert total(client) == 0
    # same key, corrected body: the failed attempt left nothing behind, so this runs
    good = client.post("/customers", json=customer_body(), headers={"Idempotency-Key": "k3"})
    assert good.status_code == 201


def test_key_too_long_is_400(client: ApiClient) -> None:
    response = client.post("/customers", json=customer_body(), headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert client.post("/customers", json=customer_body(), headers={"Idempotency-Key": "k" * 255}).status_code == 201


def test_concurrent_requests_with_one_key_run_once(server: LiveServer, client: ApiClient) -> None:
    body = customer_body()

    def send(_: int) -> tuple[int, str]:
        with ApiClient(server.base_url, client.credential) as c:
            r = c.post("/customers", json=body, headers={"Idempotency-Key": "storm"})
            return r.status_code, r.json()["customer"]["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(16)))
    assert {status for status, _ in results} == {201}
    assert len({cid for _, cid in results}) == 1, "every caller sees the one customer"
    assert total(client) == 1


def test_delete_and_put_honour_keys(client: ApiClient) -> None:
    customer = client.post("/customers", json=customer_body()).json()["customer"]
    first = client.delete(f"/customers/{customer['id']}", headers={"Idempotency-Key": "del"})
    second = client.delete(f"/customers/{customer['id']}", headers={"Idempotency-Key": "del"})
    assert first.json() == second.json() and second.headers.get("Idempotent-Replayed") == "true"


def test_same_json_formatted_differently_is_the_same_request(client: ApiClient) -> None:
    body = {"legalName": "Fmt Ltd", "email": "fmt@example.com", "billingEmails": [],
            "address": {"line1": "1 Old Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB"}}
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=2)
    headers = {"Idempotency-Key": "fmt-1", "Content-Type": "application/json"}
    first = client.post("/customers", content=compact, headers=headers)
    second = client.post("/customers", content=spaced, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json() == second.json()


def test_expired_keys_are_purged(server: LiveServer, client: ApiClient) -> None:
    import asyncio
    from datetime import timedelta

    from quire.core.db import make_engine, make_sessionmaker
    from quire.core.idempotency import purge_expired

    headers = {"Idempotency-Key": "old-key"}
    assert client.post("/customers", json=customer_body(), headers=headers).status_code == 201
    assert client.post("/customers", json=customer_body(), headers=headers).status_code == 409

    async def purge() -> int:
        engine = make_engine(server.settings)
        try:
            async with make_sessionmaker(engine)() as session:
                removed = await purge_expired(session, timedelta(seconds=-1))
                await session.commit()
                return removed
        finally:
            await engine.dispose()

    assert asyncio.run(purge()) >= 1
    assert client.post("/customers", json=customer_body(), headers=headers).status_code == 201
