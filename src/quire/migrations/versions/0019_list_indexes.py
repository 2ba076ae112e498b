"""Indexes for GET /invoices over a million rows (issue 16, docs/performance.md).

- The date filters (dueBefore/dueAfter, invoiceBefore/invoiceAfter, sentBefore/sentAfter) are read one
  day at a time in creation order (``core.pagination``'s day-by-day keyset), so each date's index carries
  the list's default sort and its id tiebreak: ``(account_id, <date>, created_at, id)`` replaces
  ``(account_id, <date>)`` of 0008. A 30-day dueAfter/dueBefore page took 680 ms on PostgreSQL and 750 ms
  on SQLite; it reads at most 51 index entries per day now.
- ``(account_id, currency, status, created_at, id)``: the currency filter, alone or with statuses, in
  creation order, and its first page's capped count from the index alone (the count of
  ``invoiceStatus=FINAL,SENT&invoiceCurrency=USD`` read 10,001 table rows: 42 ms on PostgreSQL, 180 ms on SQLite).

Revision ID: 0019
Revises: 0008 (the last migration of the invoices table's indexes)
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0008"

DATES = ("due_date", "issue_date", "sent_date")
CURRENCY = ("ix_invoices_account_currency_status_created", ["account_id", "currency", "status", "created_at", "id"])


def upgrade() -> None:
    for column in DATES:
        name = f"ix_invoices_account_{column}"
        op.drop_index(name, table_name="invoices")
        op.create_index(name, "invoices", ["account_id", column, "created_at", "id"])
    op.create_index(CURRENCY[0], "invoices", CURRENCY[1])


def downgrade() -> None:
    op.drop_index(CURRENCY[0], table_name="invoices")
    for column in DATES:
        name = f"ix_invoices_account_{column}"
        op.drop_index(name, table_name="invoices")
        op.create_index(name, "invoices", ["account_id", column])
