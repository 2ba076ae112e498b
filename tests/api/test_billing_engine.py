"""The billing engine end to end (both databases): schedules made through the API, ``run_billing`` walked
through 2026 date by date, invoices read back through the API (docs/billing-engine.md)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from quire.billing import engine
from quire.billing.engine import RunResult
from tests.api.billing_helpers import run
from tests.api.catalogue_helpers import new_price, new_product, structure
from tests.api.invoice_helpers import new_customer
from tests.support import ApiClient, LiveServer


def price(client: ApiClient, kind: str, amount: str | None = None, **overrides: Any) -> dict[str, Any]:
    product = new_product(client)
    body = overrides.pop("structure", None) or structure(kind)
    if amount is not None:
        body["price"] = amount
    return new_price(client, product["id"], kind, structure=body, **overrides)


def metric(client: ApiClient, event_type: str = "api_call") -> dict[str, Any]:
    response = client.post("/usage-metrics", json={"name": "API calls", "metricType": "SIMPLE", "eventType": event_type,
                                                   "aggregationType": "SUM", "aggregationProperty": "n"})
    assert response.status_code == 201, response.text
    return response.json()


def usage(client: ApiClient, customer_id: str, when: str, n: int, event_type: str = "api_call") -> None:
    response = client.post("/usage-events", json={"customerAlias": customer_id, "eventType": event_type,
                                                  "eventTimestamp": f"{when}T12:00:00Z", "eventProperties": {"n": n}})
    assert response.status_code == 201, response.text


def schedule(client: ApiClient, customer_id: str, price_ids: list[str], start: str, **overrides: Any) -> dict[str, Any]:
    body = {"type": "CUSTOM", "customerId": customer_id, "startDate": start, "priceIds": price_ids,
            "autoIssueInvoices": False, "createAsDraft": False, **overrides}
    response = client.post("/billing-schedules", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def invoices(client: ApiClient, schedule_id: str) -> list[dict[str, Any]]:
    response = client.get("/invoices", params={"billingScheduleId": schedule_id, "limit": 100})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return sorted(items, key=lambda i: (i["accountingDate"], i["billingPeriod"]["start"]))  # the invoice date


def summary(client: ApiClient, schedule_id: str) -> list[tuple[str, str, str, str]]:
    """(period start, period end, status, net total) of the schedule's invoices."""
    return [(i["billingPeriod"]["start"], i["billingPeriod"]["endInclusive"], i["status"], i["netTotal"])
            for i in invoices(client, schedule_id)]


def groups(client: ApiClient, invoice_id: str) -> list[str]:
    response = client.get(f"/invoices/{invoice_id}/line-item-groups")
    assert response.status_code == 200, response.text
    return [g["title"] for g in response.json()["items"]]


def lines(client: ApiClient, invoice_id: str) -> list[tuple[str, str]]:
    response = client.get(f"/invoices/{invoice_id}/line-items", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [(line["title"], line["netTotal"]) for line in response.json()["items"]]


def test_monthly_fixed_in_advance_and_usage_in_arrears_through_the_year(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    calls = metric(client)
    fee = price(client, "FIXED", "100.00", billingType="IN_ADVANCE", name="Platform fee")
    api = price(client, "LINEAR", structure={**structure("LINEAR"), "pricePerUnit": "0.1", "usageMetricId": calls["id"]},
                name="API calls")
    s = schedule(client, customer["id"], [fee["id"], api["id"]], "2026-01-01", endDate="2026-12-31")
    account = s["sequenceAccountId"]
    usage(client, customer["id"], "2026-01-10", 550)

    first = run(server, date(2026, 1, 15), account)
    assert first.counts.invoices_created == 2 and first.counts.errors == 0, first.errors
    assert summary(client, s["id"]) == [
        ("2026-01-01", "2026-01-31", "DRAFT", "100.00"),        # in advance, dated 1 January: final at once
        ("2026-01-01", "2026-01-31", "IN_PROGRESS", "55.00"),   # in arrears: the running period
    ]
    in_advance, running = invoices(client, s["id"])
    assert running["billingScheduleId"] == s["id"] and running["billingRunId"] == first.runs[account]
    assert groups(client, in_advance["id"]) == ["Platform fee"]
    assert groups(client, running["id"]) == ["API calls"]
    assert lines(client, running["id"]) == [("Usage", "55.00")]

    # More usage: the IN_PROGRESS invoice is recalculated, the final one left alone.
    usage(client, customer["id"], "2026-01-20", 50)
    again = run(server, date(2026, 1, 20), account)
    assert (again.counts.invoices_created, again.counts.invoices_updated, again.counts.invoices_unchanged) == (0, 1, 1)
    assert summary(client, s["id"])[1] == ("2026-01-01", "2026-01-31", "IN_PROGRESS", "60.00")

    # The period ends: January's usage invoice becomes DRAFT; February starts.
    usage(client, customer["id"], "2026-02-05", 100)
    run(server, date(2026, 2, 1), account)
    assert summary(client, s["id"]) == [
        ("2026-01-01", "2026-01-31", "DRAFT", "100.00"),
        ("2026-01-01", "2026-01-31", "DRAFT", "60.00"),
        ("2026-02-01", "2026-02-28", "DRAFT", "100.00"),
        ("2026-02-01", "2026-02-28", "IN_PROGRESS", "10.00"),
    ]
    for month in range(3, 13):
        assert run(server, date(2026, month, 1), account).counts.errors == 0
    year_end = run(server, date(2027, 1, 1), account)
    assert year_end.counts.errors == 0
    final = summary(client, s["id"])
    assert len(final) == 24 and {status for *_, status, _ in final} == {"DRAFT"}
    assert sum(Decimal(net) for *_, net in final) == Decimal("1270.00")  # 12 × 100 + 60 + 10
    assert client.get(f"/billing-schedules/{s['id']}").json()["status"] == "COMPLETED"

    # The same date again: nothing new (and a completed schedule is no longer billed).
    repeat = run(server, date(2027, 1, 1), account)
    assert repeat.counts.invoices_created == 0 and len(invoices(client, s["id"])) == 24

    runs = client.get("/billing-runs", params={"limit": 100})
    assert runs.status_code == 200, runs.text
    assert first.runs[account] in [r["id"] for r in runs.json()["items"]]
    one = client.get(f"/billing-runs/{first.runs[account]}")
    assert one.status_code == 200, one.text
    assert (one.json()["status"], one.json()["invoicesCreated"], one.json()["asOf"]) == ("COMPLETED", 2, "2026-01-15")


def test_quarterly_in_advance_starting_mid_quarter(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    review = price(client, "FIXED", "900.00", billingType="IN_ADVANCE", billingFrequency="QUARTERLY")
    s = schedule(client, customer["id"], [review["id"]], "2026-02-15", endDate="2026-12-31", recurrenceDayOfMonth=1)
    account = s["sequenceAccountId"]
    assert run(server, date(2026, 2, 15), account).counts.invoices_created == 1  # the partial first period, in advance
    made = [run(server, date(2026, month, 1), account).counts.invoices_created for month in range(3, 13)]
    assert made == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]  # each quarter on its first day, nothing in between
    run(server, date(2026, 12, 31), account)
    assert summary(client, s["id"]) == [
        ("2026-02-15", "2026-02-28", "DRAFT", "140.00"),  # 14 of the 90 days of Dec–Feb
        ("2026-03-01", "2026-05-31", "DRAFT", "900.00"),
        ("2026-06-01", "2026-08-31", "DRAFT", "900.00"),
        ("2026-09-01", "2026-11-30", "DRAFT", "900.00"),
        ("2026-12-01", "2026-12-31", "DRAFT", "310.00"),  # 31 of the 90 days of Dec–Feb
    ]


def test_a_ten_percent_discount_valid_two_months(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "200.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01", discounts=[{
        "priceIds": [fee["id"]], "separateLineItem": False, "amount": 10, "discountCalculationType": "PERCENTAGE",
        "message": "Launch offer", "validFrom": "2026-01-01", "validTo": "2026-02-28"}])
    run(server, date(2026, 4, 1), s["sequenceAccountId"])
    assert [net for *_, net in summary(client, s["id"])] == ["180.00", "180.00", "200.00", "200.00"]
    january = invoices(client, s["id"])[0]
    assert lines(client, january["id"]) == [("Fixed fee", "200.00"), ("Launch offer", "-20.00")]


def test_graduated_usage_with_a_minimum(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    calls = metric(client, "message")
    messages = price(client, "GRADUATED", structure={**structure("GRADUATED"), "usageMetricId": calls["id"]})
    body = {"type": "PHASES", "customerId": customer["id"], "startDate": "2026-01-01", "endDate": "2026-12-31",
            "autoIssueInvoices": False, "createAsDraft": False,
            "phases": [{"priceIds": [messages["id"]], "startDate": "2026-01-01",
                        "minimums": [{"restrictToPrices": [messages["id"]], "amount": 250}]}]}
    response = client.post("/billing-schedules", json=body)
    assert response.status_code == 201, response.text
    s = response.json()
    account = s["sequenceAccountId"]
    for when, n in (("2026-01-03", 125), ("2026-02-03", 300), ("2026-04-09", 100), ("2026-07-20", 500)):
        usage(client, customer["id"], when, n, "message")
    for month in range(2, 13):  # walked a month at a time, then the year end
        assert run(server, date(2026, month, 1), account).counts.errors == 0
    assert run(server, date(2027, 1, 1), account).counts.errors == 0
    year = invoices(client, s["id"])
    january, february, march, april = year[:4]
    # 100 × 1 + 20 + 25 × 0.75 + 50 = 188.75 (BEHAVIOUR.md §6.2), below the minimum: a true-up of 61.25.
    assert lines(client, january["id"])[-1] == ("Minimum commitment true-up", "61.25")
    assert january["netTotal"] == "250.00" and january["status"] == "DRAFT"
    assert february["netTotal"] == "320.00"  # 100 + 20 + 150 + 50, above the minimum: no true-up
    # No usage: the tiers charge nothing, not even tier 1's fee (docs/pricing.md), so the whole 250 is the true-up.
    assert lines(client, march["id"])[-1] == ("Minimum commitment true-up", "250.00")
    assert lines(client, april["id"])[-1] == ("Minimum commitment true-up", "130.00")  # 100 × 1 + 20 = 120
    assert [i["netTotal"] for i in year] == ["250.00", "320.00", "250.00", "250.00", "250.00", "250.00",
                                             "470.00",  # 100 + 20 + 400 × 0.75 + 50
                                             "250.00", "250.00", "250.00", "250.00", "250.00"]
    assert {i["status"] for i in year} == {"DRAFT"}
    assert client.get(f"/billing-schedules/{s['id']}").json()["status"] == "COMPLETED"


def test_backdated_start_drafts_every_past_period(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "30.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-09-16", recurrenceDayOfMonth=1)
    run(server, date(2026, 12, 7), s["sequenceAccountId"])
    assert summary(client, s["id"]) == [
        ("2026-09-16", "2026-09-30", "DRAFT", "15.00"),  # 15 of September's 30 days
        ("2026-10-01", "2026-10-31", "DRAFT", "30.00"),
        ("2026-11-01", "2026-11-30", "DRAFT", "30.00"),
        ("2026-12-01", "2026-12-31", "IN_PROGRESS", "30.00"),
    ]


def test_a_run_killed_halfway_then_run_again_bills_each_period_once(client: ApiClient, server: LiveServer,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "50.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    real = engine._write_lines
    written = 0

    async def crashing(*args: Any, **kwargs: Any) -> None:
        nonlocal written
        written += 1
        await real(*args, **kwargs)
        if written == 3:
            raise RuntimeError("killed")  # the third invoice's transaction rolls back, as in a crash

    monkeypatch.setattr(engine, "_write_lines", crashing)
    broken = run(server, date(2026, 6, 1), s["sequenceAccountId"])
    assert broken.counts.errors == 1 and broken.counts.invoices_created == 5
    failed = client.get(f"/billing-runs/{broken.runs[s['sequenceAccountId']]}").json()
    assert (failed["status"], failed["errors"]) == ("FAILED", 1)
    assert failed["lastError"].endswith("RuntimeError (details in the server log)")  # no internals on the wire
    monkeypatch.setattr(engine, "_write_lines", real)
    fixed = run(server, date(2026, 6, 1), s["sequenceAccountId"])
    assert fixed.counts.invoices_created == 1 and fixed.counts.errors == 0
    periods = [(start, end) for start, end, *_ in summary(client, s["id"])]
    assert len(periods) == len(set(periods)) == 6  # January … June (running), each once


def test_two_runs_at_once_bill_each_period_once(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "10.00", billingType="IN_ADVANCE")
    ids = [schedule(client, customer["id"], [fee["id"]], "2026-01-01")["id"] for _ in range(3)]
    account = client.get(f"/billing-schedules/{ids[0]}").json()["sequenceAccountId"]
    results: list[RunResult] = []
    threads = [threading.Thread(target=lambda: results.append(run(server, date(2026, 12, 1), account, concurrency=3)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and all(r.counts.errors == 0 for r in results), [r.errors for r in results]
    assert sum(r.counts.invoices_created for r in results) == 36  # 3 schedules × 12 months, once
    for schedule_id in ids:
        periods = [(start, end) for start, end, *_ in summary(client, schedule_id)]
        assert len(periods) == len(set(periods)) == 12


def test_archive_deletes_the_in_progress_invoice_only(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "40.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    run(server, date(2026, 3, 10), s["sequenceAccountId"])
    before = invoices(client, s["id"])
    assert [i["status"] for i in before] == ["DRAFT", "DRAFT", "IN_PROGRESS"]
    assert client.post(f"/invoices/{before[0]['id']}/finalize").status_code == 200  # January issued
    assert client.put(f"/billing-schedules/{s['id']}/archive").status_code == 200
    after = invoices(client, s["id"])
    assert [(i["id"], i["status"]) for i in after] == [(before[0]["id"], "FINAL"), (before[1]["id"], "DRAFT")]
    assert client.get(f"/invoices/{before[2]['id']}").status_code == 404
    assert run(server, date(2026, 4, 10), s["sequenceAccountId"]).counts.schedules_seen == 0


def test_auto_issue_finalizes_the_closed_period(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "25.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01", autoIssueInvoices=True)
    run(server, date(2026, 2, 5), s["sequenceAccountId"])
    issued, running = invoices(client, s["id"])
    assert issued["status"] == "FINAL" and issued["invoiceNumber"]  # finalized; not sent: no SMTP configured
    assert running["status"] == "IN_PROGRESS"


def test_billing_runs_of_another_account_are_not_found(client: ApiClient, other_client: ApiClient,
                                                       server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "5.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-11-01")
    result = run(server, date(2026, 11, 2), s["sequenceAccountId"])
    run_id = result.runs[s["sequenceAccountId"]]
    assert client.get(f"/billing-runs/{run_id}").status_code == 200
    assert other_client.get(f"/billing-runs/{run_id}").status_code == 404
    assert run_id not in [r["id"] for r in other_client.get("/billing-runs").json()["items"]]


def quire_cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUIRE_DATABASE_URL": server.settings.database_url}
    return subprocess.run([sys.executable, "-m", "quire.cli", "billing", "run", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_runs_to_completion_and_prints_the_counts(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "12.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    account = s["sequenceAccountId"]
    done = quire_cli(server, "--as-of", "2026-03-01", "--account", account)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert (counts["asOf"], counts["schedulesSeen"], counts["invoicesCreated"], counts["errors"]) == ("2026-03-01", 1, 3, 0)
    assert counts["runs"][account]
    assert "billing as of 2026-03-01" in done.stderr  # the progress bar
    again = json.loads(quire_cli(server, "--as-of", "2026-03-01", "--account", account).stdout)
    assert (again["invoicesCreated"], again["invoicesUnchanged"]) == (0, 3)
    assert quire_cli(server, "--as-of", "March").returncode == 2


def test_cli_defer_hands_the_run_to_the_workers(client: ApiClient, server: LiveServer) -> None:
    from quire.jobs import run_pending_inline

    customer = new_customer(client)
    fee = price(client, "FIXED", "12.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    done = quire_cli(server, "--as-of", "2026-02-01", "--account", s["sequenceAccountId"], "--defer")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["jobsDeferred"] == 1
    asyncio.run(run_pending_inline(server.settings))
    deadline = time.monotonic() + 30  # the app's own in-process worker may be the one that runs it
    while len(invoices(client, s["id"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [status for *_, status, _ in summary(client, s["id"])] == ["DRAFT", "IN_PROGRESS"]


def test_credits_are_drawn_down_when_the_invoice_is_final(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "100.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    grant = client.post("/credits", json={"sequenceAccountId": s["sequenceAccountId"], "customerId": customer["id"],
                                          "name": "Welcome credit", "creditUnitType": "CURRENCY", "currency": "GBP",
                                          "amount": 30, "effectiveDate": "2026-01-01"})
    assert grant.status_code == 201, grant.text
    run(server, date(2026, 1, 20), s["sequenceAccountId"])
    assert summary(client, s["id"]) == [("2026-01-01", "2026-01-31", "IN_PROGRESS", "100.00")]  # not yet
    run(server, date(2026, 2, 1), s["sequenceAccountId"])
    january = invoices(client, s["id"])[0]
    assert january["status"] == "DRAFT" and january["netTotal"] == "70.00"
    assert lines(client, january["id"])[-1] == ("Welcome credit", "-30.00")


def test_an_invoice_a_client_labels_with_the_schedule_does_not_stop_the_engine(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "70.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    forged = client.post("/invoices", json={"currency": "GBP", "customerId": customer["id"], "billingScheduleId": s["id"],
                                            "billingPeriod": {"start": "2026-01-01", "endInclusive": "2026-01-31"}})
    assert forged.status_code == 201, forged.text
    run(server, date(2026, 2, 1), s["sequenceAccountId"])
    run(server, date(2026, 2, 1), s["sequenceAccountId"])
    engine_made = [i for i in invoices(client, s["id"]) if i["id"] != forged.json()["id"]]
    assert [(i["billingPeriod"]["start"], i["netTotal"]) for i in engine_made] == [("2026-01-01", "70.00"), ("2026-02-01", "70.00")]


def test_seats_added_mid_period_in_arrears_docs_example(client: ApiClient, server: LiveServer) -> None:
    # BEHAVIOUR.md §9: 27 seats added on 18 April at £15/month in arrears → April charges each a prorated
    # £6.50 (13 of 30 days), May 27 × £15.
    customer = new_customer(client)
    seat_type = client.post("/seat-types", json={"key": f"user-{customer['id']}", "label": "Users"})
    assert seat_type.status_code == 201, seat_type.text
    seats = price(client, "SEAT_BASED", structure={**structure("SEAT_BASED"), "seatTypeId": seat_type.json()["id"],
                                                    "includedSeats": 0, "chargeMethod": "CHARGE_CONSUMED"})
    snapshot = client.post("/seat-snapshots", json={
        "customerAlias": customer["id"], "seatType": seat_type.json()["key"], "snapshotTimestamp": "2026-04-18T09:00:00Z",
        "total": 27, "seatChanges": []})
    assert snapshot.status_code == 201, snapshot.text
    s = schedule(client, customer["id"], [seats["id"]], "2026-04-01")
    run(server, date(2026, 6, 1), s["sequenceAccountId"])
    april, may, _june = invoices(client, s["id"])
    assert (april["netTotal"], may["netTotal"]) == ("175.50", "405.00")


def test_an_edit_that_moves_the_invoice_dates_replaces_the_in_progress_invoice(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "31.00")
    s = schedule(client, customer["id"], [fee["id"]], "2026-01-01")
    run(server, date(2026, 1, 10), s["sequenceAccountId"])
    [running] = invoices(client, s["id"])
    assert running["status"] == "IN_PROGRESS"
    moved = client.put(f"/billing-schedules/{s['id']}", json={"type": "CUSTOM", "startDate": "2026-01-01",
                                                              "autoIssueInvoices": False, "recurrenceDayOfMonth": 15})
    assert moved.status_code == 200, moved.text
    run(server, date(2026, 1, 10), s["sequenceAccountId"])
    assert summary(client, s["id"]) == [("2026-01-01", "2026-01-14", "IN_PROGRESS", "14.00")]  # 14 of 31 days
    assert client.get(f"/invoices/{running['id']}").status_code == 404
    run(server, date(2026, 1, 9), s["sequenceAccountId"])  # an earlier date deletes nothing
    assert len(invoices(client, s["id"])) == 1


def test_auto_issue_sends_when_quire_sends_email(mail_server: tuple[LiveServer, Any]) -> None:
    live, _sink = mail_server
    with ApiClient(live.base_url, live.new_account("Auto issue")) as client:
        customer = new_customer(client)
        fee = price(client, "FIXED", "25.00")
        s = schedule(client, customer["id"], [fee["id"]], "2026-01-01", autoIssueInvoices=True)
        run(live, date(2026, 2, 5), s["sequenceAccountId"])
        issued, running = invoices(client, s["id"])
        assert (issued["status"], running["status"]) == ("SENT", "IN_PROGRESS")
        emails = client.get(f"/invoices/{issued['id']}/emails")
        assert emails.status_code == 200 and len(emails.json()["items"]) == 1


def test_a_cli_run_killed_with_sigkill_then_run_again_bills_each_period_once(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    fee = price(client, "FIXED", "9.00", billingType="IN_ADVANCE")
    ids = [schedule(client, customer["id"], [fee["id"]], "2026-01-01")["id"] for _ in range(12)]
    account = client.get(f"/billing-schedules/{ids[0]}").json()["sequenceAccountId"]
    env = {**os.environ, "QUIRE_DATABASE_URL": server.settings.database_url}
    process = subprocess.Popen([sys.executable, "-m", "quire.cli", "billing", "run", "--as-of", "2026-12-01",
                                "--account", account], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        made = client.get("/invoices", params={"customerId": customer["id"], "limit": 1}).json()
        if made["pagination"]["totalResultSize"] >= 20:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    process.kill()  # SIGKILL: no cleanup, the transaction in flight is lost
    process.wait()
    done = quire_cli(server, "--as-of", "2026-12-01", "--account", account)
    assert done.returncode == 0, done.stderr
    for schedule_id in ids:
        periods = [(start, end) for start, end, *_ in summary(client, schedule_id)]
        assert len(periods) == len(set(periods)) == 12


@pytest.fixture(params=["sqlite", "postgresql"])
def server_without_worker(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A live Quire whose app works no job itself (QUIRE_JOBS_IN_APP=false): only ``quire worker`` does."""
    from tests.support import drop_pg_database, required_pg_database, start_server

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'quire.db'}"
    else:
        url = required_pg_database()
    monkeypatch.setenv("QUIRE_JOBS_IN_APP", "false")
    live = start_server(f"{request.param}-no-worker", url)
    yield live
    live.stop()
    if request.param == "postgresql":
        drop_pg_database(url)


class WritesHeld:
    """Holds the billing run's next write from outside, so a worker can be killed mid-run at a known
    point: on PostgreSQL a row lock on the schedule billed last (the batch locks its schedules first), on
    SQLite the database's write lock once the first batch has committed. ``committed()`` counts invoices."""

    def __init__(self, settings: Any, last_schedule_id: str) -> None:
        self.url = settings.database_url
        self.sqlite = settings.is_sqlite
        self.last = last_schedule_id
        self.conn: Any = None

    def __enter__(self) -> WritesHeld:
        if self.sqlite:
            import sqlite3

            self.conn = sqlite3.connect(self.url.split("///", 1)[1], timeout=60, isolation_level=None)
        else:
            import psycopg

            self.conn = psycopg.connect(self.url.replace("+asyncpg", "").replace("+psycopg", ""))
            self.conn.execute("SELECT 1 FROM billing_schedules WHERE id = %s FOR UPDATE", (self.last,))
        return self

    def committed(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM invoices").fetchone()[0])

    def hold_after_first_batch(self) -> None:
        if self.sqlite:  # wait for the first batch, then take the write lock before the run's next batch
            deadline = time.monotonic() + 60
            while self.committed() == 0:
                assert time.monotonic() < deadline, "the worker billed nothing"
                time.sleep(0.005)
            self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, *_: Any) -> None:
        if not self.sqlite:
            self.conn.rollback()
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_worker_killed_with_sigkill_mid_run_then_restarted_bills_each_period_once(server_without_worker: LiveServer) -> None:
    """``quire billing run --defer`` hands the run to ``quire worker`` (one chunk job, batches of one
    schedule); the worker is killed (SIGKILL) with some batches committed and the next one waiting on a
    lock; a second worker retries the stalled job: every period of every schedule is billed, none twice."""
    server = server_without_worker
    with ApiClient(server.base_url, server.new_account()) as client:
        customer = new_customer(client)
        fee = price(client, "FIXED", "9.00", billingType="IN_ADVANCE")
        ids = sorted(schedule(client, customer["id"], [fee["id"]], "2026-01-01")["id"] for _ in range(12))
        account = client.get(f"/billing-schedules/{ids[0]}").json()["sequenceAccountId"]
        deferred = quire_cli(server, "--as-of", "2026-12-01", "--account", account, "--defer")
        assert deferred.returncode == 0, deferred.stderr
        assert json.loads(deferred.stdout)["jobsDeferred"] == 1
        env = {**os.environ, "QUIRE_DATABASE_URL": server.settings.database_url, "QUIRE_BILLING_BATCH_SIZE": "1"}
        worker = [sys.executable, "-m", "quire.cli", "worker", "--queues", "billing", "--heartbeat", "0.3",
                  "--poll", "0.2", "--stalled-after", "1.5"]
        with WritesHeld(server.settings, ids[-1]) as held:
            first = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                held.hold_after_first_batch()
                deadline = time.monotonic() + 60  # PostgreSQL: the eleven batches before the locked schedule
                while held.sqlite is False and held.committed() < 132 and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(0.5)  # the worker is now waiting on the lock, its run unfinished
                before = held.committed()
                assert 12 <= before < 144 and before % 12 == 0, before
                assert first.poll() is None
            finally:
                first.kill()  # SIGKILL: no cleanup; its job is left 'doing', its transaction in flight lost
                first.wait()
        second = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(invoices_of(client, customer["id"])) < 144:
                time.sleep(0.2)
        finally:
            second.terminate()
            assert second.wait(timeout=30) == 0, second.stderr.read().decode() if second.stderr else ""
        for schedule_id in ids:
            periods = [(start, end) for start, end, *_ in summary(client, schedule_id)]
            assert len(periods) == len(set(periods)) == 12, schedule_id
        assert len(invoices_of(client, customer["id"])) == 144


def invoices_of(client: ApiClient, customer_id: str) -> list[str]:
    ids: list[str] = []
    params: dict[str, Any] = {"customerId": customer_id, "limit": 100}
    while True:
        page = client.get("/invoices", params=params).json()
        ids += [i["id"] for i in page["items"]]
        if not page["pagination"].get("after"):
            return ids
        params["after"] = page["pagination"]["after"]


def test_a_grouped_metric_splits_a_linear_price_into_a_line_per_group(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    grouped = client.post("/usage-metrics", json={"name": "Calls by region", "metricType": "GROUPED", "eventType": "call",
                                                  "aggregationType": "SUM", "aggregationProperty": "n",
                                                  "groupingProperty": "region"})
    assert grouped.status_code == 201, grouped.text
    calls = price(client, "LINEAR", structure={**structure("LINEAR"), "pricePerUnit": "0.1",
                                               "usageMetricId": grouped.json()["id"]})
    for region, n in (("eu", 300), ("us", 250)):
        response = client.post("/usage-events", json={"customerAlias": customer["id"], "eventType": "call",
                                                      "eventTimestamp": "2026-01-05T10:00:00Z",
                                                      "eventProperties": {"n": n, "region": region}})
        assert response.status_code == 201, response.text
    s = schedule(client, customer["id"], [calls["id"]], "2026-01-01")
    run(server, date(2026, 2, 1), s["sequenceAccountId"])
    january = invoices(client, s["id"])[0]
    assert lines(client, january["id"]) == [("Usage – eu", "30.00"), ("Usage – us", "25.00")]


def test_each_price_takes_its_schedule_tax_rate_for_a_taxed_customer_only(client: ApiClient, server: LiveServer) -> None:
    # docs/billing-engine.md "Lines", Tax: a line takes taxRates[priceId] (no entry: rate 0); a TAX_EXEMPT
    # customer's lines are untaxed whatever the schedule says (docs/tax.md).
    rate = client.post("/tax-rates", json={"isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax",
                                           "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"})
    assert rate.status_code == 201, rate.text
    fee = price(client, "FIXED", "100.00", billingType="IN_ADVANCE", name="Platform fee")
    support = price(client, "FIXED", "50.00", billingType="IN_ADVANCE", name="Support")
    taxed = new_customer(client)
    exempt = new_customer(client, taxStatus="TAX_EXEMPT")
    made = [schedule(client, customer["id"], [fee["id"], support["id"]], "2026-01-01", endDate="2026-01-31",
                     taxRates=[{"priceId": fee["id"], "taxRateId": rate.json()["id"]}]) for customer in (taxed, exempt)]
    result = run(server, date(2026, 1, 1), made[0]["sequenceAccountId"])
    assert (result.counts.invoices_created, result.counts.errors) == (2, 0), result.errors
    [taxed_invoice], [exempt_invoice] = (invoices(client, s["id"]) for s in made)
    # 100.00 × 20% = 20.00 on the fee; the support price has no rate: 0.
    assert (taxed_invoice["netTotal"], taxed_invoice["totalTax"], taxed_invoice["grossTotal"]) == ("150.00", "20.00", "170.00")
    taxed_lines = client.get(f"/invoices/{taxed_invoice['id']}/line-items").json()["items"]
    assert [(line["priceId"], line["taxRate"], line["totalTax"]) for line in taxed_lines] == [
        (fee["id"], "0.2", "20.00"), (support["id"], "0", "0.00")]
    assert (exempt_invoice["netTotal"], exempt_invoice["totalTax"], exempt_invoice["grossTotal"]) == ("150.00", "0.00", "150.00")
