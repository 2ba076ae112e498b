"""GET /invoices' own path (issue 16): rows presented without pydantic, and date windows read one day at a
time. Both must answer exactly what the general path would (docs/performance.md)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from quire.invoices.repository import DAY_SPLIT_MAX
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.factories import SEED_INVOICE_REQUEST, address
from tests.support import ApiClient


def walk(client: ApiClient, params: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """Every item of the list, page by page through ``after``; then back through ``before`` to the start,
    checking that the way back sees the same pages."""
    pages = [client.get("/invoices", params={**params, "limit": limit}).json()]
    while "after" in pages[-1]["pagination"]:
        nxt = client.get("/invoices", params={**params, "limit": limit, "after": pages[-1]["pagination"]["after"]})
        assert nxt.status_code == 200, nxt.text
        pages.append(nxt.json())
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        back = client.get("/invoices", params={**params, "limit": limit, "before": back["pagination"]["before"]}).json()
        assert [i["id"] for i in back["items"]] == [i["id"] for i in expected["items"]]
    assert "before" not in back["pagination"]
    return [item for page in pages for item in page["items"]]


def test_list_items_are_the_invoices_as_read_one_by_one(client: ApiClient) -> None:
    """The list's presenter (``present.invoice_item``) against the general one (``present.invoice``, behind
    GET /invoices/{id}): same keys, same order, same values, for invoices with every optional field set or
    not, in several currencies and states."""
    us = new_customer(client, address=address(country="US", state="NY", line2="Suite 5", town="New York"))
    plain = new_customer(client)
    body = copy.deepcopy(SEED_INVOICE_REQUEST)
    body["customerId"] = us["id"]
    full = client.post("/invoices", json=body)
    assert full.status_code == 201, full.text
    made = [full.json()]
    made.append(new_invoice(client, "JPY", plain))
    made.append(new_invoice(client, "USD", us, billingPeriod={"start": "2026-01-01", "endInclusive": "2026-01-31"},
                            metadata=[{"key": "k", "value": "v"}], memo="Thanks", reference="R-1",
                            purchaseOrderNumber="PO-9", paymentOptions=[], creditBalances="12.00 GBP"))
    finalized = new_invoice(client, "EUR", plain, dueDate="2026-03-01")
    add_line(client, finalized["id"], quantity="3", rate="33.333", taxRate="0.21")
    assert action(client, finalized["id"], "finalize").status_code == 200
    made.append(finalized)
    voided = new_invoice(client, "GBP", plain)
    add_line(client, voided["id"])
    assert action(client, voided["id"], "finalize").status_code == 200
    assert action(client, voided["id"], "void").status_code == 200
    made.append(voided)
    listed = {item["id"]: item for item in walk(client, {}, limit=2)}
    assert set(listed) == {m["id"] for m in made}
    for invoice in made:
        single = client.get(f"/invoices/{invoice['id']}").json()
        assert list(listed[invoice["id"]].items()) == list(single.items())


@pytest.fixture
def dated(client: ApiClient) -> list[dict[str, Any]]:
    """Invoices due over 40 days (1-3 a day, so days hold several invoices and some none), in creation
    order, with issue dates on the finalized ones."""
    customer = new_customer(client)
    made = []
    for n in range(40):
        if n % 7 == 3:
            continue  # a day with no invoice due
        for _ in range(1 + n % 3):
            made.append(new_invoice(client, "GBP", customer, dueDate=(date(2026, 5, 1) + timedelta(days=n)).isoformat()))
    return made


@pytest.mark.parametrize("order", ["DESC", "ASC"])
def test_a_due_window_reads_day_by_day_in_creation_order(client: ApiClient, dated: list[dict[str, Any]], order: str) -> None:
    everything = walk(client, {"sortOrder": order}, limit=50)
    for after, before in (("2026-05-03", "2026-05-12"), ("2026-04-01", "2026-05-05"), ("2026-05-10", "2026-05-11"),
                          ("2026-05-10", "2026-05-12"), ("2026-05-03", "2026-05-04"), ("2026-04-20", "2026-07-01")):
        params = {"dueAfter": after, "dueBefore": before, "sortOrder": order}
        expected = [i["id"] for i in everything if after < i["dueDate"] < before]
        assert [i["id"] for i in walk(client, params)] == expected, params
        first = client.get("/invoices", params=params).json()
        assert first["pagination"].get("totalResultSize") == len(expected), params


def test_date_windows_that_are_not_split(client: ApiClient, dated: list[dict[str, Any]]) -> None:
    """Wider than DAY_SPLIT_MAX days, open-ended, or sorted by something else: one ordered scan, same rows."""
    everything = walk(client, {}, limit=50)
    wide_after = (date(2026, 5, 20) - timedelta(days=DAY_SPLIT_MAX + 5)).isoformat()
    for params in ({"dueAfter": wide_after, "dueBefore": "2026-05-20"}, {"dueAfter": "2026-05-30"},
                   {"dueBefore": "2026-05-04"}):
        expected = [i["id"] for i in everything
                    if params.get("dueAfter", "0") < i["dueDate"] < params.get("dueBefore", "9")]
        assert [i["id"] for i in walk(client, params)] == expected, params
    by_total = walk(client, {"dueAfter": "2026-05-03", "dueBefore": "2026-05-12", "sortBy": "GROSS_TOTAL"})
    assert sorted(i["id"] for i in by_total) == sorted(i["id"] for i in everything if "2026-05-03" < i["dueDate"] < "2026-05-12")


def test_a_due_window_with_other_filters_and_a_second_date_window(client: ApiClient, dated: list[dict[str, Any]]) -> None:
    for invoice in dated[::4]:
        add_line(client, invoice["id"])
        assert action(client, invoice["id"], "finalize").status_code == 200
    everything = walk(client, {}, limit=50)
    issued = [i for i in everything if i["status"] == "FINAL"]
    assert issued
    today = issued[0]["issueDate"]
    params = {"dueAfter": "2026-05-02", "dueBefore": "2026-05-30", "invoiceStatus": "FINAL",
              "invoiceAfter": (date.fromisoformat(today) - timedelta(days=1)).isoformat(),
              "invoiceBefore": (date.fromisoformat(today) + timedelta(days=1)).isoformat()}
    expected = [i["id"] for i in issued if "2026-05-02" < i["dueDate"] < "2026-05-30"]
    assert [i["id"] for i in walk(client, params, limit=2)] == expected
    # An empty window (the bounds one day apart) matches nothing, and says so.
    assert client.get("/invoices", params={"dueAfter": "2026-05-02", "dueBefore": "2026-05-03"}).json() == {
        "items": [], "pagination": {"totalResultSize": 0}}
