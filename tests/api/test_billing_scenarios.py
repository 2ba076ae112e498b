"""Year-long scenarios of the billing engine (issue 14), on both databases: an annual seat price with
monthly overages, a credit grant drawn over three invoices then one voided back, a phase change
mid-year, and roll-up billing (a parent's schedule billing its children's usage). Every expected amount
is worked by hand in the comments from the documented rules (docs/billing-engine.md), never computed by
the engine's code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.api.billing_helpers import run
from tests.api.catalogue_helpers import structure
from tests.api.invoice_helpers import new_customer
from tests.api.test_billing_engine import groups, invoices, lines, metric, price, schedule, summary, usage
from tests.support import ApiClient, LiveServer


def first_days(year: int, months: range) -> list[date]:
    return [date(year, m, 1) for m in months]


def walk(server: LiveServer, account: str, days: list[date]) -> None:
    for day in days:
        result = run(server, day, account)
        assert result.counts.errors == 0, result.errors


def seat_snapshot(client: ApiClient, customer_id: str, key: str, when: str, total: int) -> None:
    response = client.post("/seat-snapshots", json={"customerAlias": customer_id, "seatType": key,
                                                    "snapshotTimestamp": when, "total": total, "seatChanges": []})
    assert response.status_code == 201, response.text


def test_annual_seats_in_advance_with_monthly_overages_in_arrears(client: ApiClient, server: LiveServer) -> None:
    # BEHAVIOUR.md §9: the contracted minimum (10 seats at £120 a seat a year) billed annually in advance,
    # the seats above it billed monthly in arrears (overagesBillingFrequency MONTHLY) at £120/12 = £10 a
    # seat a month, PRORATE_INCREMENTS: seats added mid-month from their day, removals not credited.
    customer = new_customer(client)
    seat_type = client.post("/seat-types", json={"key": f"seat-{customer['id']}", "label": "Users"})
    assert seat_type.status_code == 201, seat_type.text
    key = seat_type.json()["key"]
    seats = price(client, "SEAT_BASED", name="Users", billingFrequency="YEARLY", billingType="IN_ADVANCE",
                  structure={**structure("SEAT_BASED"), "seatTypeId": seat_type.json()["id"], "pricePerSeat": "120.00",
                             "includedSeats": 10, "chargeMethod": "CHARGE_MINIMUM",
                             "prorationStrategy": "PRORATE_INCREMENTS", "overagesBillingFrequency": "MONTHLY"})
    seat_snapshot(client, customer["id"], key, "2025-12-20T10:00:00Z", 8)    # below the minimum
    seat_snapshot(client, customer["id"], key, "2026-02-10T09:00:00Z", 12)   # 2 over from 10 February
    seat_snapshot(client, customer["id"], key, "2026-04-16T09:00:00Z", 15)   # 3 more from 16 April
    seat_snapshot(client, customer["id"], key, "2026-06-15T09:00:00Z", 9)    # back under on 15 June
    s = schedule(client, customer["id"], [seats["id"]], "2026-01-01", endDate="2026-12-31")
    account = s["sequenceAccountId"]

    run(server, date(2026, 1, 1), account)
    assert summary(client, s["id"]) == [
        ("2026-01-01", "2026-12-31", "DRAFT", "1200.00"),        # 10 contracted seats × £120, though 8 in use
        ("2026-01-01", "2026-01-31", "IN_PROGRESS", "0.00"),     # January's overages: none so far
    ]
    year, _january = invoices(client, s["id"])
    assert groups(client, year["id"]) == ["Users"] and lines(client, year["id"]) == [("Seats", "1200.00")]

    walk(server, account, first_days(2026, range(2, 13)) + [date(2027, 1, 1)])
    assert summary(client, s["id"]) == [
        ("2026-01-01", "2026-12-31", "DRAFT", "1200.00"),
        ("2026-01-01", "2026-01-31", "DRAFT", "0.00"),
        ("2026-02-01", "2026-02-28", "DRAFT", "13.57"),   # 2 × £10 × 19/28 days (10–28 Feb) = 13.571… → 13.57
        ("2026-03-01", "2026-03-31", "DRAFT", "20.00"),   # 2 × £10
        ("2026-04-01", "2026-04-30", "DRAFT", "35.00"),   # 2 × £10 + 3 × £10 × 15/30 days (16–30 Apr)
        ("2026-05-01", "2026-05-31", "DRAFT", "50.00"),   # 5 × £10
        ("2026-06-01", "2026-06-30", "DRAFT", "50.00"),   # 5 × £10: a removal is not credited (PRORATE_INCREMENTS)
        *[(f"2026-{m:02d}-01", f"2026-{m:02d}-{d}", "DRAFT", "0.00")
          for m, d in ((7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31))],  # 9 seats: none over 10
    ]
    invoices_now = invoices(client, s["id"])
    april = invoices_now[4]
    assert groups(client, april["id"]) == ["Users – overages"]
    assert lines(client, april["id"]) == [("Seats", "20.00"), ("Seats added on 2026-04-16 (15/30 days)", "15.00")]
    assert sum(Decimal(i["netTotal"]) for i in invoices_now) == Decimal("1368.57")
    assert client.get(f"/billing-schedules/{s['id']}").json()["status"] == "COMPLETED"


def balance(client: ApiClient, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/credits/{customer_id}/balances")
    assert response.status_code == 200, response.text
    [cash] = [item for item in response.json()["items"] if item["id"] == "GBP"]
    return cash  # type: ignore[no-any-return]


def test_a_credit_grant_drawn_over_three_invoices_then_one_voided_back(client: ApiClient, server: LiveServer) -> None:
    # £250 of credit against a £100 monthly fee in advance: January 100, February 100, March the last 50;
    # April pays in full; voiding February's invoice restores its 100, which May then draws.
    customer = new_customer(client)
    fee = price(client, "FIXED", "100.00", billingType="IN_ADVANCE", name="Platform fee")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    account = s["sequenceAccountId"]
    grant = client.post("/credits", json={"sequenceAccountId": account, "customerId": customer["id"],
                                          "name": "Prepaid credit", "creditUnitType": "CURRENCY", "currency": "GBP",
                                          "amount": 250, "effectiveDate": "2026-01-01"})
    assert grant.status_code == 201, grant.text

    walk(server, account, first_days(2026, range(1, 5)))
    assert summary(client, s["id"]) == [
        ("2026-01-01", "2026-01-31", "DRAFT", "0.00"),
        ("2026-02-01", "2026-02-28", "DRAFT", "0.00"),
        ("2026-03-01", "2026-03-31", "DRAFT", "50.00"),
        ("2026-04-01", "2026-04-30", "DRAFT", "100.00"),
    ]
    january, february, march, april = invoices(client, s["id"])
    assert lines(client, march["id"]) == [("Fixed fee", "100.00"), ("Prepaid credit", "-50.00")]
    assert lines(client, april["id"]) == [("Fixed fee", "100.00")]
    drawn = balance(client, customer["id"])
    assert drawn["balance"] == "0.00"
    assert [(t["type"], t["amount"], t["invoiceId"]) for t in drawn["transactions"]] == [
        ("DEBIT", "100.00", january["id"]), ("DEBIT", "100.00", february["id"]), ("DEBIT", "50.00", march["id"])]
    assert {t["billingRunId"] for t in drawn["transactions"]} == {i["billingRunId"] for i in (january, february, march)}

    voided = client.post(f"/invoices/{february['id']}/void")
    assert voided.status_code == 200, voided.text
    restored = balance(client, customer["id"])
    assert restored["balance"] == "100.00"
    assert [(t["type"], t["amount"], t["invoiceId"]) for t in restored["transactions"]][-1] == (
        "CREDIT", "100.00", february["id"])
    [state] = restored["grants"]
    assert (state["originalAmount"], state["currentBalance"]) == ("250.00", "100.00")

    walk(server, account, [date(2026, 5, 1)])
    may = invoices(client, s["id"])[-1]
    assert (may["billingPeriod"]["start"], may["netTotal"]) == ("2026-05-01", "0.00")  # the restored 100, drawn again
    assert balance(client, customer["id"])["balance"] == "0.00"


def test_a_phase_change_mid_year_switches_prices_not_invoice_dates(client: ApiClient, server: LiveServer) -> None:
    # Phase 1 (1 January – 15 July): Standard £300 a month and API calls at £0.10; phase 2 (from 16 July):
    # Premium £600 a month and API calls at £0.05; all in arrears on the 1st-of-month grid. July's one
    # invoice (31 July) charges each phase's prices for its part of July (BEHAVIOUR.md §7.4).
    customer = new_customer(client)
    calls = metric(client)
    standard = price(client, "FIXED", "300.00", name="Standard")
    premium = price(client, "FIXED", "600.00", name="Premium")
    api_1 = price(client, "LINEAR", name="API calls",
                  structure={**structure("LINEAR"), "pricePerUnit": "0.10", "usageMetricId": calls["id"]})
    api_2 = price(client, "LINEAR", name="API calls (Premium)",
                  structure={**structure("LINEAR"), "pricePerUnit": "0.05", "usageMetricId": calls["id"]})
    response = client.post("/billing-schedules", json={
        "type": "PHASES", "customerId": customer["id"], "startDate": "2026-01-01", "endDate": "2026-12-31",
        "autoIssueInvoices": False, "createAsDraft": False,
        "phases": [{"priceIds": [standard["id"], api_1["id"]], "startDate": "2026-01-01", "endDate": "2026-07-15"},
                   {"priceIds": [premium["id"], api_2["id"]], "startDate": "2026-07-16", "endDate": "2026-12-31"}]})
    assert response.status_code == 201, response.text
    s = response.json()
    usage(client, customer["id"], "2026-07-10", 1000)  # phase 1: 1000 × £0.10 = £100
    usage(client, customer["id"], "2026-07-20", 1000)  # phase 2: 1000 × £0.05 = £50

    walk(server, account := s["sequenceAccountId"], first_days(2026, range(2, 13)) + [date(2027, 1, 1)])
    ends = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    expected = [(f"2026-{m:02d}-01", f"2026-{m:02d}-{ends[m - 1]}", "DRAFT",
                 "300.00" if m < 7 else "604.84" if m == 7 else "600.00") for m in range(1, 13)]
    assert summary(client, s["id"]) == expected  # one invoice a month: the phase change adds no date
    july = invoices(client, s["id"])[6]
    assert groups(client, july["id"]) == ["Standard", "API calls", "Premium", "API calls (Premium)"]
    assert lines(client, july["id"]) == [
        ("Fixed fee (15/31 days)", "145.16"),   # 300 × 15/31 = 145.161…
        ("Usage", "100.00"),
        ("Fixed fee (16/31 days)", "309.68"),   # 600 × 16/31 = 309.677…
        ("Usage", "50.00"),
    ]
    assert sum(Decimal(i["netTotal"]) for i in invoices(client, s["id"])) == Decimal("5404.84")  # 6×300 + 604.84 + 5×600
    assert run(server, date(2027, 1, 1), account).counts.invoices_created == 0


def test_roll_up_bills_the_children_usage_on_the_parent_with_tiers_on_the_sum(client: ApiClient, server: LiveServer) -> None:
    # BEHAVIOUR.md §7.6: a parent's schedule with rollUpBilling bills its own and its children's usage
    # (children by ``parentId``, an extension: docs/billing-engine.md#roll-up-billing), the tiers applied
    # to the combined usage. Graduated tiers (tests/api/catalogue_helpers.py): up to 100 units £1 each
    # + £20 flat, above £0.75 each + £50 flat.
    parent = new_customer(client)
    children = [new_customer(client, parentId=parent["id"]) for _ in range(2)]
    stranger = new_customer(client)
    calls = metric(client)
    tiered = price(client, "GRADUATED", name="API calls",
                   structure={**structure("GRADUATED"), "usageMetricId": calls["id"]})
    rolled = schedule(client, parent["id"], [tiered["id"]], "2026-01-01", rollUpBilling=True)
    alone = schedule(client, parent["id"], [tiered["id"]], "2026-01-01")  # the same parent, no roll-up
    assert rolled["rollUpBilling"] is True
    usage(client, parent["id"], "2026-01-05", 10)
    usage(client, children[0]["id"], "2026-01-06", 60)
    usage(client, children[1]["id"], "2026-01-07", 55)
    usage(client, stranger["id"], "2026-01-08", 900)  # another customer's usage is never this schedule's

    result = run(server, date(2026, 2, 1), rolled["sequenceAccountId"])
    assert result.counts.errors == 0, result.errors
    # 10 + 60 + 55 = 125 units on one set of tiers: 100 × 1 + 20 + 25 × 0.75 + 50 = 188.75 (billed one
    # customer at a time, none of them would reach the second tier: 30 + 80 + 75 = 185.00).
    assert summary(client, rolled["id"])[0] == ("2026-01-01", "2026-01-31", "DRAFT", "188.75")
    assert summary(client, alone["id"])[0] == ("2026-01-01", "2026-01-31", "DRAFT", "30.00")  # the parent's 10 units

    # A child leaving (parentId null) takes its usage with it from the next recalculation on.
    usage(client, children[1]["id"], "2026-02-03", 40)
    usage(client, children[0]["id"], "2026-02-04", 40)
    child = children[1]
    left = client.put(f"/customers/{child['id']}", json={"legalName": child["legalName"], "address": child["address"],
                                                          "email": child["email"], "taxStatus": "TAXED", "parentId": None})
    assert left.status_code == 200, left.text
    run(server, date(2026, 2, 10), rolled["sequenceAccountId"])
    assert summary(client, rolled["id"])[1] == ("2026-02-01", "2026-02-28", "IN_PROGRESS", "60.00")  # 40 × 1 + 20
