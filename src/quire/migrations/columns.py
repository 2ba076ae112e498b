"""The columns, constraints and indexes the migration files share (their counterpart of core/tables.py
and the billing-document column mixins).

Every helper returns new objects (a column belongs to one table) rendering exactly as the columns the
migrations spelled out before it existed, in the same order: the migrated schema did not change
(dumped with ``sqlite3 .schema`` and ``pg_dump --schema-only`` before and after, identical).
Helpers returning several columns return a list to unpack in ``op.create_table``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.core.db import ExactDecimal, UTCDateTime

UTC = UTCDateTime(timezone=True)


def key(name: str = "id", *, nullable: bool = False) -> sa.Column[str]:
    """A UUIDv7 id, or a reference to one without a foreign key."""
    return sa.Column(name, sa.String(length=36), nullable=nullable)


def account_row(*, primary_key: bool = False) -> list[sa.Column[str]]:
    """``id`` and ``account_id`` with its foreign key inline (core/tables.py ``AccountRow``; the tables
    of 0005 onwards). ``primary_key``: ``id`` says so itself (0005), else a ``PrimaryKeyConstraint`` does."""
    row_id = sa.Column("id", sa.String(length=36), primary_key=True) if primary_key else key()
    return [row_id, account()]


def reference(name: str, target: str, *, nullable: bool = False, cascade: bool = False) -> sa.Column[str]:
    """A reference to ``target``'s id with an inline foreign key (deleted with it when ``cascade``)."""
    foreign_key = sa.ForeignKey(f"{target}.id", ondelete="CASCADE" if cascade else None)
    return sa.Column(name, sa.String(length=36), foreign_key, nullable=nullable)


def account() -> sa.Column[str]:
    """``account_id`` with its foreign key inline (the tables of 0005 onwards)."""
    return reference("account_id", "accounts", cascade=True)


def keys(*references: tuple[str, str], cascade: bool = False, primary: str = "id") -> list[sa.Constraint]:
    """The keys of an account's row as 0001-0006 declare them, after its columns: the account's foreign key,
    one for each (column, table) of ``references`` (the row deleted with the referenced one when ``cascade``),
    then the primary key. (Made in this order, the order SQLite's stored ``CREATE TABLE`` lists them in.)"""
    account = sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE")
    ondelete = "CASCADE" if cascade else None
    foreign = [sa.ForeignKeyConstraint([column], [f"{table}.id"], ondelete=ondelete) for column, table in references]
    return [account, *foreign, sa.PrimaryKeyConstraint(primary)]


def cascade_fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    """A table constraint: ``column`` references ``target``'s id and its row is deleted with it."""
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete="CASCADE")


def at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTC, nullable=nullable)


def timestamps() -> list[sa.Column[object]]:
    return [at("created_at"), at("updated_at")]


def owned(parent: str | None = None) -> list[sa.Column[str]]:
    """``id``, ``account_id`` (its foreign key declared apart: ``keys``) and the parent row's id if any."""
    return [key(), key("account_id")] + ([key(parent)] if parent else [])


def amounts() -> list[sa.Column[int]]:
    """A document's, group's or line's totals in minor units."""
    return [sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("net_total_minor", "total_tax_minor", "gross_total_minor")]


def customer_snapshot() -> list[sa.Column[object]]:
    """The customer as a billing document copies it."""
    return [
        sa.Column("customer_emails", sa.JSON(), nullable=False),
        sa.Column("customer_legal_company_name", sa.String(length=255), nullable=False),
        sa.Column("customer_billing_address", sa.JSON(), nullable=False),
        sa.Column("customer_shipping_address", sa.JSON(), nullable=False),
        sa.Column("customer_tax_id", sa.String(length=64), nullable=True),
    ]


def document_tail() -> list[sa.Column[object]]:
    """A billing document's line and group counters, then its timestamps."""
    return [
        sa.Column("next_line_index", sa.Integer(), nullable=False),
        sa.Column("next_group_index", sa.Integer(), nullable=False),
        *timestamps(),
        at("finalized_at", nullable=True),
        at("sent_at", nullable=True),
        sa.Column("sent_date", sa.Date(), nullable=True),
        at("voided_at", nullable=True),
    ]


def titled() -> list[sa.Column[object]]:
    """A line's or group's position in its document, title and description."""
    return [
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
    ]


def line_rates() -> list[sa.Column[object]]:
    return [sa.Column(name, ExactDecimal(length=64), nullable=False) for name in ("quantity", "rate", "tax_rate")]


def line_price() -> list[sa.Column[object]]:
    return [
        sa.Column("price_id", sa.String(length=64), nullable=True),
        sa.Column("rate_display", sa.String(length=16), nullable=False),
        sa.Column("external_ids", sa.JSON(), nullable=False),
    ]


def create_document_store(table: str, parent: str, parent_table: str, short: str) -> None:
    """The stored renderings (PDFs) of a billing document kind (core/stored_documents.py ``StoredDocument``):
    one per document and kind, deleted with the document; ``short`` names the document in the names of the
    unique constraint and the index."""
    op.create_table(
        table,
        *owned(parent),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        at("created_at"),
        cascade_fk(parent, parent_table),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(parent, "kind", name=f"uq_{table}_{short}_kind"),
    )
    index(table, f"account_{short}", "account_id", parent)


def index(table: str, name: str, *columns: str) -> None:
    """``ix_<table>_<name>`` on ``columns``."""
    op.create_index(f"ix_{table}_{name}", table, list(columns))


def created_index(table: str) -> None:
    """The index of a list in creation order (core/tables.py ``created_index``)."""
    index(table, "account_created", "account_id", "created_at", "id")
