"""Cursor pages stay stable while rows are inserted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from tests.factories import customer_body
from tests.support import ApiClient, LiveServer


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


@pytest.fixture
def count_cap(server: LiveServer) -> Iterator[Callable[[int], None]]:
    """Set the live server's ``list_count_cap`` (``QUIRE_LIST_COUNT_CAP``) for this test: the server runs in
    this process, so its settings can be swapped as a restart with another environment would."""
    state = server.server.config.app.state
    kept = state.settings

    def set_cap(cap: int) -> None:
        state.settings = replace(kept, list_count_cap=cap)

    yield set_cap
    state.settings = kept


def test_total_is_counted_up_to_the_cap_on_the_first_page(client: ApiClient, count_cap: Callable[[int], None]) -> None:
    count_cap(3)
    for n in range(5):
        assert client.post("/customers", json=customer_body(legalName=f"Capped {n} Ltd")).status_code == 201
    # Over the cap: left out, whatever the page size.
    for limit in (2, 5, 100):
        page = client.get("/customers", params={"limit": limit}).json()
        assert "totalResultSize" not in page["pagination"], limit
    # Under or at the cap: exact, on a first page that holds them all or not.
    narrow = client.get("/customers", params={"legalName": "Capped 1"}).json()
    assert narrow["pagination"]["totalResultSize"] == 1
    count_cap(5)
    assert client.get("/customers", params={"limit": 2}).json()["pagination"]["totalResultSize"] == 5
    assert client.get("/customers", params={"limit": 5}).json()["pagination"]["totalResultSize"] == 5
    assert client.get("/customers").json()["pagination"]["totalResultSize"] == 5
    count_cap(4)
    assert "totalResultSize" not in client.get("/customers", params={"limit": 5}).json()["pagination"]
    assert "totalResultSize" not in client.get("/customers").json()["pagination"]


def test_total_is_left_out_on_cursor_pages(client: ApiClient) -> None:
    """Only the first page counts: a cursor page (``after`` or ``before``) never carries the field, even
    when the count would be small (docs/pagination.md#totalresultsize)."""
    for _ in range(5):
        client.post("/customers", json=customer_body())
    first = client.get("/customers", params={"limit": 2}).json()
    assert first["pagination"]["totalResultSize"] == 5
    second = client.get("/customers", params={"limit": 2, "after": first["pagination"]["after"]}).json()
    assert len(second["items"]) == 2 and "totalResultSize" not in second["pagination"]
    last = client.get("/customers", params={"limit": 2, "after": second["pagination"]["after"]}).json()
    assert len(last["items"]) == 1 and set(last["pagination"]) == {"before"}
    back = client.get("/customers", params={"limit": 2, "before": last["pagination"]["before"]}).json()
    assert [c["id"] for c in back["items"]] == [c["id"] for c in second["items"]]
    assert "totalResultSize" not in back["pagination"]
    empty = client.get("/customers", params={"legalName": "nobody at all"}).json()
    assert empty == {"items": [], "pagination": {"totalResultSize": 0}}


def test_total_on_the_invoice_list(client: ApiClient, count_cap: Callable[[int], None]) -> None:
    """The invoice list (the one issue 16 measures over a million rows) under and over the cap, with a filter
    and a sort, and on cursor pages."""
    customer = client.post("/customers", json=customer_body()).json()["customer"]["id"]
    for currency in ("GBP", "GBP", "USD", "GBP"):
        assert client.post("/invoices", json={"customerId": customer, "currency": currency}).status_code == 201
    count_cap(3)
    everything = client.get("/invoices", params={"limit": 2}).json()
    assert "totalResultSize" not in everything["pagination"]
    gbp = {"invoiceCurrency": "GBP", "sortBy": "GROSS_TOTAL", "sortOrder": "ASC"}
    assert client.get("/invoices", params={**gbp, "limit": 1}).json()["pagination"]["totalResultSize"] == 3
    usd = client.get("/invoices", params={"invoiceCurrency": "USD"}).json()
    assert usd["pagination"] == {"totalResultSize": 1}
    following = client.get("/invoices", params={"limit": 2, "after": everything["pagination"]["after"]}).json()
    assert len(following["items"]) == 2 and set(following["pagination"]) == {"before"}
    count_cap(10_000)
    assert client.get("/invoices", params={"limit": 1}).json()["pagination"]["totalResultSize"] == 4
