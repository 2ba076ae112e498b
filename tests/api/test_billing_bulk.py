"""The engine's batch path (``quire.billing.bulk``) writes what the one-by-one path writes (both databases):
two identical schedules, one billed by ``bulk.bill_batch``, the other by ``engine.bill_schedule`` (the
document core's services), compared column by column; a repeated run is settled without a write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from quire.billing import bulk, engine
from quire.billing import run as billing_run
from quire.billing.models import ScheduleInvoice
from quire.core.db import make_engine, make_sessionmaker
from quire.core.runtime import configure_sessions
from quire.invoices.models import Invoice, InvoiceLineItemGroup, InvoiceLineItem
from tests.api.billing_helpers import run
from tests.api.catalogue_helpers import structure
from tests.api.invoice_helpers import new_customer
from tests.api.test_billing_engine import metric, price, schedule, summary, usage
from tests.support import ApiClient, LiveServer

# Columns that differ between two invoices of two schedules by construction.
OWN = {"id", "document_id", "invoice_id", "group_id", "billing_schedule_id", "created_at", "updated_at", "hosted_token"}


def with_factory(server: LiveServer, work: Callable[[Any], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        db = make_engine(server.settings)
        try:
            factory = make_sessionmaker(db)
            configure_sessions(factory, server.settings)
            return await work(factory)
        finally:
            await db.dispose()

    return asyncio.run(go())


def rows(server: LiveServer, schedule_id: str) -> list[dict[str, Any]]:
    """The schedule's invoices (by date), each with its groups and lines, as stored, less ``OWN``."""
    def plain(obj: Any) -> dict[str, Any]:
        return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs if c.key not in OWN}

    async def read(factory: Any) -> list[dict[str, Any]]:
        async with factory() as session:
            invoices = list(await session.scalars(select(Invoice).where(Invoice.billing_schedule_id == schedule_id)
                                                  .order_by(Invoice.accounting_date, Invoice.billing_period_start)))
            out = []
            for invoice in invoices:
                groups = list(await session.scalars(select(InvoiceLineItemGroup).where(InvoiceLineItemGroup.document_id == invoice.id)
                                                    .order_by(InvoiceLineItemGroup.index)))
                index = {g.id: g.index for g in groups}
                lines = list(await session.scalars(select(InvoiceLineItem).where(InvoiceLineItem.document_id == invoice.id)
                                                   .order_by(InvoiceLineItem.index)))
                out.append({"invoice": plain(invoice), "groups": [plain(g) for g in groups],
                            "lines": [{**plain(line), "group": index.get(line.group_id)} for line in lines]})
            claims = (await session.execute(select(ScheduleInvoice.invoice_date, ScheduleInvoice.fingerprint)
                                            .where(ScheduleInvoice.billing_schedule_id == schedule_id)
                                            .order_by(ScheduleInvoice.invoice_date))).all()
            return [*out, {"claims": [tuple(c) for c in claims]}]

    return with_factory(server, read)


def assert_same(bulk_rows: list[dict[str, Any]], core_rows: list[dict[str, Any]]) -> None:
    """Equal, or the first difference named."""
    assert len(bulk_rows) == len(core_rows)
    for mine, theirs in zip(bulk_rows, core_rows, strict=True):
        for key in theirs:
            if key == "invoice":
                diff = {k: (v, theirs[key][k]) for k, v in mine[key].items() if v != theirs[key][k]}
                assert not diff, diff
            assert mine[key] == theirs[key], key


def test_a_batch_writes_the_rows_the_document_core_writes(client: ApiClient, server: LiveServer) -> None:
    customer = new_customer(client)
    calls = metric(client, "bulk_call")
    fee = price(client, "FIXED", "120.00", billingType="IN_ARREARS", name="Platform")
    advance = price(client, "FIXED", "30.00", billingType="IN_ADVANCE", name="Support")
    api = price(client, "LINEAR", structure={**structure("LINEAR"), "pricePerUnit": "0.013", "usageMetricId": calls["id"]},
                name="API calls")
    prices = [fee["id"], advance["id"], api["id"]]
    extra = {"discounts": [{"priceIds": [fee["id"]], "separateLineItem": True, "amount": 12.5,
                            "discountCalculationType": "PERCENTAGE", "message": "Launch", "validFrom": "2026-01-01",
                            "validTo": "2026-02-28"}],
             "purchaseOrderNumber": "PO-7", "reference": "ref-7"}
    one = schedule(client, customer["id"], prices, "2026-01-12", recurrenceDayOfMonth=1, **extra)
    other = schedule(client, customer["id"], prices, "2026-01-12", recurrenceDayOfMonth=1, **extra)
    account = one["sequenceAccountId"]
    for day, n in (("2026-01-20", 1234), ("2026-02-03", 77), ("2026-03-02", 5)):
        usage(client, customer["id"], day, n, "bulk_call")

    async def bill(factory: Any, as_of: date = date(2026, 3, 10), created: int = 6, updated: int = 0) -> bulk.Outcome:
        batches = [b async for b in billing_run._batches(factory, None, [one["id"], other["id"]])]
        [(views, prices_)] = batches
        by_id = {v.id: v for v in views}
        result = engine.RunResult(batch_id="b", as_of=as_of)
        run_id = await billing_run._open_run(factory, account, result, None)
        outcome = await bulk.bill_batch(factory, [by_id[one["id"]]], prices_, as_of, {account: run_id})
        counts = engine.Counts()
        await engine.bill_schedule(factory, by_id[other["id"]], prices_, as_of, run_id, counts, [])
        assert (counts.invoices_created, counts.invoices_updated, counts.errors) == (created, updated, 0)
        return outcome

    outcome = with_factory(server, bill)
    assert not outcome.one_by_one and not outcome.slots_alone
    assert outcome.created[one["id"]] == 6  # 3 in advance, 2 final in arrears, March's IN_PROGRESS
    assert summary(client, one["id"]) == summary(client, other["id"])
    assert [s for *_, s, _ in summary(client, one["id"])].count("IN_PROGRESS") == 1
    assert_same(rows(server, one["id"]), rows(server, other["id"]))

    # The same date again: every invoice settled or unchanged, nothing written.
    again = run(server, date(2026, 3, 10), account, schedule_ids=[one["id"], other["id"]])
    assert (again.counts.invoices_created, again.counts.invoices_updated, again.counts.invoices_unchanged) == (0, 0, 12)
    # New usage: the IN_PROGRESS invoice is recalculated (one by one), identically for both.
    usage(client, customer["id"], "2026-03-05", 1000, "bulk_call")
    later = run(server, date(2026, 3, 11), account, schedule_ids=[one["id"], other["id"]])
    assert (later.counts.invoices_created, later.counts.invoices_updated) == (0, 2), later.errors
    assert_same(rows(server, one["id"]), rows(server, other["id"]))

    # March is over: its IN_PROGRESS invoice, unchanged, becomes DRAFT in the batch's transaction; April's
    # in-advance (DRAFT) and in-arrears (IN_PROGRESS) invoices are new.
    april = with_factory(server, lambda factory: bill(factory, date(2026, 4, 1), created=2, updated=1))
    assert not april.one_by_one and not april.slots_alone
    assert (april.created[one["id"]], april.updated[one["id"]]) == (2, 1)
    assert [s for *_, s, _ in summary(client, one["id"])].count("IN_PROGRESS") == 1
    assert_same(rows(server, one["id"]), rows(server, other["id"]))


def test_a_batch_leaves_a_claim_another_run_holds_to_the_one_by_one_path(client: ApiClient, server: LiveServer) -> None:
    """Two runs at once over 20 schedules: each period billed once, whichever run claimed it."""
    customer = new_customer(client)
    fee = price(client, "FIXED", "10.00", billingType="IN_ARREARS")
    ids = [schedule(client, customer["id"], [fee["id"]], "2026-01-01")["id"] for _ in range(20)]
    account = client.credential.account_id  # type: ignore[union-attr]

    async def both(factory: Any) -> list[engine.RunResult]:
        return list(await asyncio.gather(*(billing_run.run_billing(factory, date(2026, 4, 1), account, schedule_ids=ids)
                                           for _ in range(2))))

    first, second = with_factory(server, both)
    assert first.counts.errors == second.counts.errors == 0, first.errors + second.errors
    assert first.counts.invoices_created + second.counts.invoices_created == 20 * 4  # Jan-Mar DRAFT, April running
    for schedule_id in ids:
        assert len(summary(client, schedule_id)) == 4
