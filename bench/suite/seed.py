"""Quire's benchmark databases: migrate, create accounts, and bulk-seed invoices (not through the API).

Bulk path: PostgreSQL gets ``COPY`` (asyncpg ``copy_records_to_table``); SQLite gets SQLAlchemy Core
``INSERT`` executemany in one transaction per 50,000 rows, through Quire's own table definitions so
that its column types (``UTCDateTime``, JSON) store exactly what the app would store.

The seeded account looks like a busy merchant: 1,000 customers; invoices over ~2 years, 15% DRAFT,
25% FINAL, 50% SENT, 10% VOIDED; GBP/USD/EUR 5:3:2; numbered ``INV00001``... in creation order.
``Anchors`` keep every k-th (createdAt, id) so the list workload can start a page at any depth.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.suite.servers import BIN

MERCHANT = {
    "legalCompanyName": "Bench Billing Ltd", "email": "billing@bench.example",
    "address": {"line1": "1 Old Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB"},
}
STATUSES = [("DRAFT", 15), ("FINAL", 25), ("SENT", 50), ("VOIDED", 10)]
CURRENCIES = [("GBP", 5), ("USD", 3), ("EUR", 2)]
BATCH = 50_000
CUSTOMERS = 1_000


def migrate(database_url: str) -> None:
    env = {**os.environ, "QUIRE_DATABASE_URL": database_url}
    subprocess.run([str(BIN / "quire"), "migrate"], env=env, check=True, capture_output=True)


def _settings(database_url: str) -> Any:
    from quire.config import Settings

    return Settings(database_url=database_url)


def create_accounts(database_url: str, names: list[str]) -> dict[str, dict[str, str]]:
    """Accounts with merchant settings (so invoices carry merchantDetails) and one credential each."""
    from quire.accounts.service import create_account
    from quire.core.db import make_engine, make_sessionmaker

    async def run() -> dict[str, dict[str, str]]:
        engine = make_engine(_settings(database_url))
        out = {}
        try:
            async with make_sessionmaker(engine)() as session:
                for name in names:
                    out[name] = (await create_account(session, name=name, merchant_settings=MERCHANT)).as_json()
                await session.commit()
        finally:
            await engine.dispose()
        return out

    return asyncio.run(run())


def _uuid7_at(ms: int, rnd: random.Random) -> str:
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rnd.getrandbits(12) << 64 | 0b10 << 62 | rnd.getrandbits(62)
    return str(uuid.UUID(int=value))


def _weighted(rnd: random.Random, table: list[tuple[str, int]]) -> str:
    return rnd.choices([v for v, _ in table], weights=[w for _, w in table])[0]


@dataclass
class Seeded:
    account_id: str
    count: int
    customer_ids: list[str]
    anchors: list[tuple[datetime, str]]  # every k-th (created_at, id), oldest first
    seconds: float


def _merchant_details() -> dict[str, Any] | None:
    try:
        from quire.accounts.merchant import merchant_details, parse_settings

        return merchant_details(parse_settings(MERCHANT))
    except Exception:  # noqa: BLE001 - only the payload's realism depends on it
        return None


def _customers(account_id: str, rnd: random.Random, start: datetime) -> list[dict[str, Any]]:
    rows = []
    for i in range(CUSTOMERS):
        created = start + timedelta(minutes=i)
        rows.append({
            "id": _uuid7_at(int(created.timestamp() * 1000), rnd), "account_id": account_id,
            "created_at": created, "updated_at": created, "legal_name": f"Customer {i:04d} Ltd",
            "contact_name": None, "email": f"ap@customer{i}.example", "billing_emails": [f"ap@customer{i}.example"],
            "address": {"line1": f"{i} Market Street", "town": "London", "postcode": "EC1V 9HX", "country": "GB"},
            "telephone": None, "url": None, "label": None, "tax_status": "TAXED", "external_ids": [], "archived_at": None,
        })
    return rows


def _invoices(account_id: str, customers: list[dict[str, Any]], count: int, rnd: random.Random,
              start: datetime, step_ms: int, anchors: list[tuple[datetime, str]], every: int) -> Iterator[list[dict[str, Any]]]:
    merchant = _merchant_details()
    # Shared values (the COPY path encodes each JSON object once).
    none: list[Any] = []
    options = ["BANK_TRANSFER"]
    render = {"paymentLinkDisplay": "SHOW_PAYMENT_LINK"}
    number = 0
    batch: list[dict[str, Any]] = []
    for i in range(count):
        created = start + timedelta(milliseconds=i * step_ms)
        ms = int(created.timestamp() * 1000)
        ident = _uuid7_at(ms, rnd)
        if i % every == 0:
            anchors.append((created, ident))
        customer = customers[rnd.randrange(len(customers))]
        status = _weighted(rnd, STATUSES)
        issued = status != "DRAFT"
        day = created.date()
        net = rnd.randrange(1_000, 1_000_000)
        tax = net // 5
        number_text = None
        if issued:
            number += 1
            number_text = f"INV{number:05d}"
        sent = status == "SENT" or (status == "VOIDED" and rnd.random() < 0.5)
        batch.append({
            "id": ident, "account_id": account_id, "customer_id": customer["id"], "billing_schedule_id": None,
            "billing_run_id": None, "status": status,
            "payment_status": rnd.choice(["UNPAID", "PAID", "PAID", "PARTIALLY_PAID"]) if status == "SENT" else "UNPAID",
            "currency": _weighted(rnd, CURRENCIES), "invoice_number": number_text,
            "issue_date": day if issued else None, "due_date": day + timedelta(days=30), "accounting_date": day,
            "purchase_order_number": None, "reference": None, "memo": "Thanks for your business",
            "customer_emails": customer["billing_emails"], "customer_legal_company_name": customer["legal_name"],
            "customer_billing_address": customer["address"], "customer_shipping_address": customer["address"],
            "customer_tax_id": None, "customer_tax_status": "TAXED", "payment_options": options,
            "billing_period_start": None, "billing_period_end": None, "metadata": none, "credit_balances": None,
            "render_settings": render, "merchant_details": merchant,
            "credit_note_ids": none, "net_total_minor": net, "total_tax_minor": tax, "gross_total_minor": net + tax,
            "has_quantity": True, "next_line_index": 3, "next_group_index": 0,
            "created_at": created, "updated_at": created, "finalized_at": created if issued else None,
            "sent_at": created if sent else None, "sent_date": day if sent else None,
            "voided_at": created if status == "VOIDED" else None,
        })
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_invoices(database_url: str, account_id: str, count: int, *, seed: int = 6) -> Seeded:
    """``count`` invoices (and 1,000 customers) for ``account_id``, by the bulk path of the database."""
    rnd = random.Random(seed)
    began = time.perf_counter()
    span_ms = 2 * 365 * 86_400_000
    step_ms = max(1, span_ms // max(count, 1))
    start = datetime(2024, 12, 1, tzinfo=UTC) - timedelta(milliseconds=step_ms * count)
    customers = _customers(account_id, rnd, start - timedelta(days=30))
    anchors: list[tuple[datetime, str]] = []
    every = max(1, count // 2000)
    batches = _invoices(account_id, customers, count, rnd, start, step_ms, anchors, every)
    if database_url.startswith("postgres"):
        asyncio.run(_copy_pg(database_url, customers, batches))
    else:
        _insert_sqlite(database_url, customers, batches)
    return Seeded(account_id, count, [c["id"] for c in customers], anchors, time.perf_counter() - began)


def _insert_sqlite(database_url: str, customers: list[dict[str, Any]], batches: Iterator[list[dict[str, Any]]]) -> None:
    """Core INSERT executemany, one transaction per batch. Values go through each column type's own bind
    processor (Quire's UTCDateTime, JSON, Date), memoised for the shared JSON objects."""
    from sqlalchemy import create_engine

    from quire.customers.models import Customer
    from quire.invoices.models import Invoice

    engine = create_engine(database_url)  # the stdlib sqlite3 driver; the app's aiosqlite wraps the same library
    dialect = engine.dialect
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.commit()
        for table, rows_iter in ((Customer.__table__, iter([customers])), (Invoice.__table__, batches)):
            cols = [c for c in table.columns if _needs_value(table, c, customers if table is Customer.__table__ else None)]
            quote = dialect.identifier_preparer.quote
            sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in cols)}) "
                   f"VALUES ({', '.join('?' for _ in cols)})")
            names = [c.name for c in cols]
            procs = [c.type._cached_bind_processor(dialect) for c in cols]
            memo: dict[int, tuple[Any, Any]] = {}

            def bind(proc: Any, value: Any) -> Any:
                if proc is None or value is None:
                    return value
                if isinstance(value, (dict, list)):
                    hit = memo.get(id(value))
                    if hit is None or hit[0] is not value:
                        hit = memo[id(value)] = (value, proc(value))
                    return hit[1]
                return proc(value)

            for rows in rows_iter:
                conn.exec_driver_sql(sql, [tuple(bind(p, r[n]) for n, p in zip(names, procs)) for r in rows])
                conn.commit()
    engine.dispose()


def _needs_value(table: Any, col: Any, _rows: Any) -> bool:
    """Columns the generator fills; a new NOT NULL column without a default stops the seeding clearly."""
    known = {"metadata"} | set(_KNOWN.get(table.name, ()))
    if col.name in known:
        return True
    if not col.nullable and col.default is None and col.server_default is None:
        raise RuntimeError(f"bench/suite/seed.py has no value for the new column {table.name}.{col.name}")
    return False


_KNOWN = {
    "customers": ("id", "account_id", "created_at", "updated_at", "legal_name", "contact_name", "email", "billing_emails",
                  "address", "telephone", "url", "label", "tax_status", "external_ids", "archived_at"),
    "invoices": ("id", "account_id", "customer_id", "billing_schedule_id", "billing_run_id", "status", "payment_status",
                 "currency", "invoice_number", "issue_date", "due_date", "accounting_date", "purchase_order_number",
                 "reference", "memo", "customer_emails", "customer_legal_company_name", "customer_billing_address",
                 "customer_shipping_address", "customer_tax_id", "customer_tax_status", "payment_options",
                 "billing_period_start", "billing_period_end", "metadata", "credit_balances", "render_settings",
                 "merchant_details", "credit_note_ids", "net_total_minor", "total_tax_minor", "gross_total_minor",
                 "has_quantity", "next_line_index", "next_group_index", "created_at", "updated_at", "finalized_at",
                 "sent_at", "sent_date", "voided_at"),
}


async def _copy_pg(database_url: str, customers: list[dict[str, Any]], batches: Iterator[list[dict[str, Any]]]) -> None:
    """COPY in batches; the next batch is generated on a thread while the database takes the current one."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        for table, rows_iter in (("customers", iter([customers])), ("invoices", batches)):
            columns = await conn.fetch(
                "SELECT column_name, is_nullable, column_default, data_type FROM information_schema.columns "
                "WHERE table_name = $1 AND table_schema = current_schema()", table)
            json_cols = {c["column_name"] for c in columns if c["data_type"] in ("json", "jsonb")}
            encoded: dict[int, tuple[Any, str]] = {}  # JSON values are shared objects: encode each once

            def records(rows: list[dict[str, Any]] | None) -> tuple[list[str], list[tuple[Any, ...]]] | None:
                if rows is None:
                    return None
                missing = [c["column_name"] for c in columns if c["column_name"] not in rows[0]
                           and c["is_nullable"] == "NO" and c["column_default"] is None]
                if missing:
                    raise RuntimeError(f"bench/suite/seed.py has no value for the new columns {table}.{missing}")
                present = [c["column_name"] for c in columns if c["column_name"] in rows[0]]

                def enc(value: Any) -> Any:
                    if value is None:
                        return None
                    hit = encoded.get(id(value))
                    if hit is None or hit[0] is not value:
                        hit = encoded[id(value)] = (value, json.dumps(value))
                    return hit[1]

                flags = [n in json_cols for n in present]
                return present, [tuple(enc(r[n]) if j else r[n] for n, j in zip(present, flags)) for r in rows]

            pending = asyncio.create_task(asyncio.to_thread(lambda: records(next(rows_iter, None))))
            while (ready := await pending) is not None:
                pending = asyncio.create_task(asyncio.to_thread(lambda: records(next(rows_iter, None))))
                await conn.copy_records_to_table(table, records=ready[1], columns=ready[0])
        # autovacuum would vacuum and analyze a freshly loaded table by itself (PostgreSQL 13+ also after
        # inserts); do it now rather than mid-run. VACUUM sets the visibility map, without which every
        # index-only scan (the list's capped count) still reads the table: the steady state of a live
        # database, where autovacuum has long run, is what the list workload should see.
        await conn.execute("VACUUM (ANALYZE) customers, invoices")
    finally:
        await conn.close()


def deep_cursor(anchor: tuple[datetime, str]) -> str | None:
    """A createdAt/DESC ``after`` cursor positioned at ``anchor``, minted as Quire mints them (same
    QUIRE_SECRET_KEY as the server). None if Quire's pagination module changed shape."""
    try:
        from quire.core.pagination import SortOrder, encode_cursor

        # Bound to the list that would have issued it (docs/pagination.md): GET /invoices.
        return encode_cursor("createdAt", SortOrder.DESC, anchor[0], anchor[1], issuer="GET /invoices")
    except Exception:  # noqa: BLE001
        return None


def day_range(rnd: random.Random, seeded: Seeded, days: int = 30) -> tuple[date, date]:
    first = seeded.anchors[0][0].date()
    last = seeded.anchors[-1][0].date()
    span = max(1, (last - first).days - days)
    after = first + timedelta(days=rnd.randrange(span))
    return after, after + timedelta(days=days)
