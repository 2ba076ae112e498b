"""Cursor pages stay stable while rows are inserted."""

from __future__ import annotations

from tests.factories import customer_body
from tests.support import ApiClient


def walk(client: ApiClient, params: dict, insert_between: int = 0) -> list[str]:
    seen: list[str] = []
    page = client.get("/customers", params=params).json()
    while True:
        seen += [c["id"] for c in page["items"]]
        for _ in range(insert_between):
            client.post("/customers", json=customer_body())
        after = page["pagination"].get("after")
        if not after:
            return seen
        page = client.get("/customers", params={**params, "after": after}).json()


def test_paging_over_250_customers_with_inserts_in_between(client: ApiClient) -> None:
    for _ in range(250):
        assert client.post("/customers", json=customer_body()).status_code == 201
    existing = walk(client, {"limit": 100})
    assert len(existing) == 250
    # DESC (newest first): rows inserted during the walk are newer than the cursor, so the walk
    # sees exactly the 250 that existed, each once, in the same order.
    seen = walk(client, {"limit": 30}, insert_between=2)
    assert seen == existing
    # ASC: rows inserted during the walk come after the cursor and show up at the end, once each.
    asc = walk(client, {"limit": 40, "sortOrder": "ASC"}, insert_between=3)
    assert len(asc) == len(set(asc))
    assert asc[:250] == existing[::-1]
    full = walk(client, {"limit": 100, "sortOrder": "ASC"})
    assert full[: len(asc)] == asc
    assert len(full) - len(asc) == 3, "only the rows inserted after the last page are unseen"


def test_before_cursor_goes_back(client: ApiClient) -> None:
    for _ in range(7):
        client.post("/customers", json=customer_body())
    first = client.get("/customers", params={"limit": 3}).json()
    assert "before" not in first["pagination"]
    second = client.get("/customers", params={"limit": 3, "after": first["pagination"]["after"]}).json()
    third = client.get("/customers", params={"limit": 3, "after": second["pagination"]["after"]}).json()
    assert len(third["items"]) == 1 and "after" not in third["pagination"]
    back = client.get("/customers", params={"limit": 3, "before": third["pagination"]["before"]}).json()
    assert [c["id"] for c in back["items"]] == [c["id"] for c in second["items"]]
    back2 = client.get("/customers", params={"limit": 3, "before": back["pagination"]["before"]}).json()
    assert [c["id"] for c in back2["items"]] == [c["id"] for c in first["items"]]
    assert "before" not in back2["pagination"]


def test_tampered_or_foreign_cursor_is_400(client: ApiClient) -> None:
    for _ in range(3):
        client.post("/customers", json=customer_body())
    after = client.get("/customers", params={"limit": 1}).json()["pagination"]["after"]
    flipped = after[:-2] + ("A" if after[-2] != "A" else "B") + after[-1]
    for params in ({"after": flipped}, {"after": after + "x"}, {"after": after, "sortOrder": "ASC"},
                   {"after": after, "sortBy": "legalName"}, {"after": after, "before": after}):
        response = client.get("/customers", params=params)
        assert response.status_code == 400, params
    assert client.get("/customers", params={"limit": 1, "after": after}).status_code == 200


def test_total_is_left_out_above_the_counting_cap(client: ApiClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The live server runs in this process: lowering the cap shows both sides of it."""
    import quire.core.pagination as pagination

    monkeypatch.setattr(pagination, "MAX_COUNTED", 3)
    for n in range(5):
        assert client.post("/customers", json=customer_body(legalName=f"Capped {n} Ltd")).status_code == 201
    page = client.get("/customers", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and "totalResultSize" not in page["pagination"]
    narrow = client.get("/customers", params={"legalName": "Capped 1"}).json()
    assert narrow["pagination"]["totalResultSize"] == 1
    monkeypatch.setattr(pagination, "MAX_COUNTED", 5)
    assert client.get("/customers").json()["pagination"]["totalResultSize"] == 5
