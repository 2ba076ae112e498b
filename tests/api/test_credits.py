"""Credits over HTTP and through the engine's service, on both databases: grants (CURRENCY and METRIC),
the draft invoice of ``costOfCredit``, balances, drawdown on an invoice, restore on void and on delete,
expiry, and another account seeing nothing (docs/credits.md)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest

from quire.core import clock
from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction
from quire.credits import service
from tests.api.catalogue_helpers import new_price
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.support import in_database, ApiClient, LiveServer

T = TypeVar("T")


def grant_body(client: ApiClient, customer_id: str, **fields: Any) -> dict[str, Any]:
    return {"sequenceAccountId": client.credential.account_id, "customerId": customer_id, "name": "Onboarding credit",
            "creditUnitType": "CURRENCY", "currency": "GBP", "amount": 50, **fields}


def grant(client: ApiClient, customer_id: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/credits", json=grant_body(client, customer_id, **fields))
    assert response.status_code == 201, response.text
    return response.json()


def metric(client: ApiClient, name: str = "API calls") -> dict[str, Any]:
    response = client.post("/usage-metrics", json={"name": name, "metricType": "SIMPLE", "eventType": "api_call",
                                                   "aggregationType": "COUNT"})
    assert response.status_code == 201, response.text
    return response.json()


def balances(client: ApiClient, customer_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/credits/{customer_id}/balances")
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def lines(client: ApiClient, invoice_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/invoices/{invoice_id}/line-items")
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_grant_create_read_list(client: ApiClient) -> None:
    customer = new_customer(client)
    created = grant(client, customer["id"], amount=12345678901.25, effectiveDate="2024-01-01", expiryDate="2030-12-31")
    assert created["sequenceAccountId"] == client.credential.account_id
    assert created["amount"] == 12345678901.25 and created["costOfCredit"] == 0
    assert created["creditUnitType"] == "CURRENCY" and created["currency"] == "GBP" and "metricId" not in created
    assert created["effectiveDate"] == "2024-01-01" and created["expiryDate"] == "2030-12-31"
    assert client.get(f"/credits/{created['id']}").json() == created
    other = grant(client, customer["id"], amount=0.1, name="Second")
    page = client.get("/credits", params={"limit": 1}).json()
    assert [g["id"] for g in page["items"]] == [other["id"]] and page["pagination"]["totalResultSize"] == 2
    assert client.get("/credits", params={"after": page["pagination"]["after"]}).json()["items"] == [created]
    assert client.get("/credits/0190a7d2-0000-7000-8000-000000000000").status_code == 404
    # Exact numbers: 0.1 stays 0.1 (read as a decimal, never through a float's arithmetic).
    assert '"amount":0.1' in client.get(f"/credits/{other['id']}").text.replace(" ", "")


def test_grant_refusals_name_the_field(client: ApiClient, other_client: ApiClient) -> None:
    customer = new_customer(client)
    their_metric = metric(other_client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sequenceAccountId": other_client.credential.account_id}, "sequenceAccountId"),
        ({"customerId": new_customer(other_client)["id"]}, "customerId"),
        ({"amount": "50"}, "amount"),  # the contract types it as a number
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10.005}, "amount"),  # GBP has 2 decimal places
        ({"amount": 1234567890123456}, "amount"),  # 16 significant digits: not exact as a double
        ({"amount": 1e20}, "amount"),  # one significant digit, but 21 integer digits
        ({"amount": True}, "amount"),
        ({"costOfCredit": 1e-12}, "costOfCredit"),
        ({"costOfCredit": -1}, "costOfCredit"),
        ({"costOfCredit": 1.001}, "costOfCredit"),
        ({"effectiveDate": "2024-02-01", "expiryDate": "2024-01-31"}, "expiryDate"),
        ({"creditUnitType": "METRIC"}, "metricId"),
        ({"creditUnitType": "METRIC", "metricId": their_metric["id"]}, "metricId"),
        ({"taxRateId": "0190a7d2-0000-7000-8000-000000000000"}, "taxRateId"),  # no costOfCredit to tax
        ({"costOfCredit": 10, "taxRateId": "0190a7d2-0000-7000-8000-000000000000"}, "taxRateId"),
    ]
    for fields, field in cases:
        response = client.post("/credits", json=grant_body(client, customer["id"], **fields))
        assert response.status_code == 400, (fields, response.text)
        assert field in [f["field"] for f in response.json()["error"].get("fields", [])], (fields, response.text)
    # A number a double cannot hold is refused wherever it is, as every body's parser does (docs/errors.md).
    body = json.dumps(grant_body(client, customer["id"], note=0)).replace('"note": 0', '"note": 1e400')
    huge = client.post("/credits", content=body, headers={"Content-Type": "application/json"})
    assert huge.status_code == 400 and huge.json()["error"]["fields"][0]["field"] == "body", huge.text
    assert client.get("/credits").json()["items"] == []
    assert client.get("/invoices").json()["items"] == []
    # Sequence's own example sends a metricId with a CURRENCY grant: accepted, and ignored.
    cash = grant(client, customer["id"], metricId="f092246c-6b90-4106-bcca-304ccf06bf45")
    assert "metricId" not in cash


def test_metric_grant_and_balances(client: ApiClient) -> None:
    customer = new_customer(client)
    calls = metric(client)
    units = grant(client, customer["id"], name="Free calls", creditUnitType="METRIC", metricId=calls["id"], amount=1000.5)
    assert units["metricId"] == calls["id"] and units["amount"] == 1000.5
    cash = grant(client, customer["id"], amount=25)
    listed = client.get(f"/credits/{customer['id']}/grants").json()["items"]
    assert [(g["id"], g["grantAmount"], g["balance"]) for g in listed] == [(units["id"], 1000.5, 1000.5), (cash["id"], 25, 25)]
    assert listed[0]["issueDate"] == units["createdAt"][:10]
    by_target = balances(client, customer["id"])
    assert by_target["GBP"]["type"] == "CASH" and by_target["GBP"]["name"] == "GBP" and by_target["GBP"]["balance"] == "25.00"
    usage = by_target[calls["id"]]
    assert usage["type"] == "USAGE" and usage["name"] == "API calls" and usage["balance"] == "1000.5"
    assert usage["grants"][0]["originalAmount"] == "1000.5" and usage["grants"][0]["currentBalance"] == "1000.5"
    assert usage["grants"][0]["costOfCredit"] == "0.00" and usage["transactions"] == []
    assert client.get("/credits/0190a7d2-0000-7000-8000-000000000000/balances").status_code == 404


def test_cost_of_credit_creates_a_draft_invoice(client: ApiClient) -> None:
    customer = new_customer(client)
    plain = grant(client, customer["id"], costOfCredit=0)
    assert client.get("/invoices").json()["items"] == []  # nothing to charge
    rate = client.post("/tax-rates", json={"isPublished": True, "name": "VAT", "invoiceName": "VAT",
                                           "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"}).json()
    bought = grant(client, customer["id"], name="Prepaid bundle", amount=500, costOfCredit=450.5, taxRateId=rate["id"])
    assert bought["costOfCredit"] == 450.5 and bought["taxRateId"] == rate["id"] and plain["id"] != bought["id"]
    [invoice] = client.get("/invoices", params={"customerId": customer["id"]}).json()["items"]
    assert invoice["status"] == "DRAFT" and invoice["currency"] == "GBP"
    assert (invoice["netTotal"], invoice["totalTax"], invoice["grossTotal"]) == ("450.50", "90.10", "540.60")
    [line] = lines(client, invoice["id"])
    assert line["title"] == "Prepaid bundle" and line["quantity"] == "1" and line["rate"] == "450.5"
    assert line["revenueClassification"] == "PREPAYMENT" and line["creditGrantId"] == bought["id"]
    # Voiding the purchase invoice (a balance migration) leaves the grant whole.
    assert action(client, invoice["id"], "void").status_code == 200
    assert client.get(f"/credits/{customer['id']}/grants").json()["items"][1]["balance"] == 500


def _usage_invoice(client: ApiClient, customer: dict[str, Any], metric_id: str) -> dict[str, Any]:
    price = new_price(client, kind="LINEAR", structure={"pricingType": "LINEAR", "pricePerUnit": "0.10",
                                                         "usageMetricId": metric_id, "isPricePercentage": False})
    invoice = new_invoice(client, customer=customer)
    add_line(client, invoice["id"], title="Platform fee", quantity="1", rate="30", taxRate="0.2")
    add_line(client, invoice["id"], title="API calls", quantity="150", rate="0.1", taxRate="0.2", priceId=price["id"])
    return invoice


def test_drawdown_metric_first_then_cash_once_and_restored_on_void(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    calls = metric(client)
    cash_late = grant(client, customer["id"], name="Cash, no expiry", amount=100)
    cash_soon = grant(client, customer["id"], name="Cash, expiring", amount=20, expiryDate="2099-01-31")
    units = grant(client, customer["id"], name="Free calls", creditUnitType="METRIC", metricId=calls["id"], amount=100)
    invoice = _usage_invoice(client, customer, calls["id"])  # net 30 + 15 = 45.00, tax 9.00
    today = clock.today()

    def draw(session: Any) -> Any:
        return service.apply_drawdown(session, client.credential.account_id, invoice["id"], customer["id"], today, "run-1")

    debits = in_database(server, draw)
    assert {(d.grant_id, str(d.amount)) for d in debits} == {(units["id"], "100"), (cash_soon["id"], "20.00"),
                                                            (cash_late["id"], "15.00")}
    credit_lines = [line for line in lines(client, invoice["id"]) if line.get("revenueClassification") == "BURNDOWN"]
    assert [(l["title"], l["quantity"], l["rate"], l["creditGrantId"]) for l in credit_lines] == [
        ("Free calls", "100", "-0.1", units["id"]), ("Cash, expiring", "1", "-20", cash_soon["id"]),
        ("Cash, no expiry", "1", "-15", cash_late["id"])]
    drawn = client.get(f"/invoices/{invoice['id']}").json()
    assert (drawn["netTotal"], drawn["totalTax"], drawn["grossTotal"]) == ("0.00", "0.00", "0.00")
    assert in_database(server, draw) == []  # once per invoice
    assert len(lines(client, invoice["id"])) == 5
    after = balances(client, customer["id"])
    assert after["GBP"]["balance"] == "85.00" and after[calls["id"]]["balance"] == "0"
    [debit] = after[calls["id"]]["transactions"]
    assert debit["type"] == "DEBIT" and debit["amount"] == "100" and debit["invoiceId"] == invoice["id"]
    assert debit["billingRunId"] == "run-1" and debit["date"] == today.isoformat()
    assert [g["id"] for g in client.get(f"/credits/{customer['id']}/grants").json()["items"]] == [cash_late["id"]]

    assert action(client, invoice["id"], "finalize").status_code == 200
    assert action(client, invoice["id"], "void").status_code == 200
    restored = balances(client, customer["id"])
    assert restored["GBP"]["balance"] == "120.00" and restored[calls["id"]]["balance"] == "100"
    assert [t["type"] for t in restored["GBP"]["transactions"]] == ["DEBIT", "DEBIT", "CREDIT", "CREDIT"]
    assert {t["reason"] for t in restored["GBP"]["transactions"] if t["type"] == "CREDIT"} == {"Restored: invoice voided"}


def test_partial_drawdown_and_restore_on_delete(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    cash = grant(client, customer["id"], amount=100)
    invoice = new_invoice(client, customer=customer)
    add_line(client, invoice["id"], title="Seats", quantity="3", rate="10.005", taxRate="0.2")  # net 30.02 (30.015 up)
    account = client.credential.account_id
    [debit] = in_database(server, lambda s: service.apply_drawdown(s, account, invoice["id"], customer["id"], clock.today()))
    assert str(debit.amount) == "30.02"
    drawn = client.get(f"/invoices/{invoice['id']}").json()
    assert (drawn["netTotal"], drawn["totalTax"], drawn["grossTotal"]) == ("0.00", "0.00", "0.00")
    assert balances(client, customer["id"])["GBP"]["balance"] == "69.98"
    assert client.delete(f"/invoices/{invoice['id']}").status_code == 200
    assert balances(client, customer["id"])["GBP"]["balance"] == "100.00"
    assert client.get(f"/credits/{customer['id']}/grants").json()["items"][0]["id"] == cash["id"]


def test_expiry_and_eligibility(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    start = datetime(2031, 3, 10, 12, tzinfo=UTC)
    clock.set_clock(lambda: start)
    try:
        expiring = grant(client, customer["id"], name="Ends 2031-03-31", amount=40, expiryDate="2031-03-31")
        future = grant(client, customer["id"], name="From April", amount=40, effectiveDate="2031-04-01")
        euro = grant(client, customer["id"], name="Euros", amount=40, currency="EUR")
        assert [g["id"] for g in client.get(f"/credits/{customer['id']}/grants").json()["items"]] == [
            expiring["id"], future["id"], euro["id"]]
        clock.set_clock(lambda: start + timedelta(days=22))  # 2031-04-01: the first grant has expired
        listed = client.get(f"/credits/{customer['id']}/grants").json()["items"]
        assert [g["id"] for g in listed] == [future["id"], euro["id"]]
        cash = balances(client, customer["id"])["GBP"]
        assert cash["balance"] == "40.00" and cash["grants"][0]["currentBalance"] == "0.00"
        invoice = new_invoice(client, customer=customer)
        add_line(client, invoice["id"], title="Work", quantity="1", rate="100", taxRate="0")
        account = client.credential.account_id
        # Drawn as of 2031-03-31: the expiring grant (last day) only; not the April one, not the euros.
        [debit] = in_database(server, lambda s: service.apply_drawdown(s, account, invoice["id"], customer["id"],
                                                                      date(2031, 3, 31)))
        assert debit.grant_id == expiring["id"] and str(debit.amount) == "40.00"
        # Restored after expiry: the balance is lost all the same.
        assert action(client, invoice["id"], "void").status_code == 200
        assert balances(client, customer["id"])["GBP"]["balance"] == "40.00"
    finally:
        clock.set_clock(None)


def test_drawdown_refuses_other_invoices(server: LiveServer, client: ApiClient, other_client: ApiClient) -> None:
    from quire.core.errors import InvalidStateTransition, NotFound, ValidationFailed

    customer = new_customer(client)
    grant(client, customer["id"])
    invoice = new_invoice(client, customer=customer)
    account = client.credential.account_id
    with pytest.raises(NotFound):  # another account's invoice
        in_database(server, lambda s: service.apply_drawdown(s, other_client.credential.account_id, invoice["id"],
                                                             customer["id"], clock.today()))
    with pytest.raises(ValidationFailed):  # another customer's invoice
        in_database(server, lambda s: service.apply_drawdown(s, account, invoice["id"], new_customer(client)["id"],
                                                             clock.today()))
    assert action(client, invoice["id"], "finalize").status_code == 200
    with pytest.raises(InvalidStateTransition):  # no longer a draft
        in_database(server, lambda s: service.apply_drawdown(s, account, invoice["id"], customer["id"], clock.today()))


def test_another_account_sees_nothing(client: ApiClient, other_client: ApiClient) -> None:
    customer = new_customer(client)
    created = grant(client, customer["id"], costOfCredit=5)
    assert other_client.get(f"/credits/{created['id']}").status_code == 404
    assert other_client.get(f"/credits/{customer['id']}/grants").status_code == 404
    assert other_client.get(f"/credits/{customer['id']}/balances").status_code == 404
    assert other_client.get("/credits").json()["items"] == []
    assert other_client.get("/invoices").json()["items"] == []
    taken = other_client.post("/credits", json=grant_body(other_client, customer["id"]))
    assert taken.status_code == 400 and taken.json()["error"]["fields"][0]["field"] == "customerId"


def test_two_drawdowns_at_once_share_the_balance(server: LiveServer, client: ApiClient) -> None:
    """Two invoices of one customer drawn at the same moment (two connections): the grant's rows are locked
    (PostgreSQL; SQLite serialises writers), so together they draw 50.00, never 80.00; and the same invoice
    drawn twice at once draws once."""
    customer = new_customer(client)
    grant(client, customer["id"], amount=50)
    first, second = (new_invoice(client, customer=customer) for _ in range(2))
    for invoice in (first, second):
        add_line(client, invoice["id"], title="Work", quantity="1", rate="40", taxRate="0")
    account = client.credential.account_id

    async def both(ids: list[str]) -> list[Any]:
        sqlite_write_transaction.set(True)
        engine = make_engine(server.settings)

        async def one(invoice_id: str) -> Any:
            async with make_sessionmaker(engine)() as session:
                try:
                    debits = await service.apply_drawdown(session, account, invoice_id, customer["id"], clock.today())
                    await session.commit()
                    return sum((d.amount for d in debits), start=0)
                except Exception as exc:  # noqa: BLE001 - the unique key of a racing twin
                    await session.rollback()
                    return type(exc).__name__

        try:
            return await asyncio.gather(*(one(i) for i in ids))
        finally:
            await engine.dispose()

    drawn = asyncio.run(both([first["id"], second["id"]]))
    assert sorted(str(d) for d in drawn) == ["10.00", "40.00"]
    assert balances(client, customer["id"])["GBP"]["balance"] == "0.00"

    third = new_invoice(client, customer=customer)
    grant(client, customer["id"], amount=5)
    add_line(client, third["id"], title="Work", quantity="1", rate="40", taxRate="0")
    twice = asyncio.run(both([third["id"], third["id"]]))
    assert sorted(str(d) for d in twice) == ["0", "5.00"]
    assert len([l for l in lines(client, third["id"]) if l.get("creditGrantId")]) == 1
