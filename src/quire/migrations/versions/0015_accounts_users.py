"""accounts and users: account notification settings, users and their accounts, payment reminders

Revision ID: 0015
Revises: 0002
Create Date: 2026-12-07

``accounts`` gains ``send_customer_notifications`` (true), ``alert_email_addresses`` ([]) and
``organisation_id`` (NULL: the account is its own organisation); ``users`` and ``user_accounts``
(tag Users); ``invoice_reminders``, one row per (invoice, reminder kind) (docs/accounts.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quire.migrations.columns import account_row, at, cascade_fk, index, key, timestamps

revision = "0015"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("send_customer_notifications", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("alert_email_addresses", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(key("organisation_id", nullable=True))

    op.create_table(
        "users",
        key(),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_key"),
    )
    op.create_table(
        "user_accounts",
        key("user_id"),
        key("account_id"),
        at("created_at"),
        cascade_fk("user_id", "users"),
        cascade_fk("account_id", "accounts"),
        sa.PrimaryKeyConstraint("user_id", "account_id"),
    )
    index("user_accounts", "account_user", "account_id", "user_id")

    op.create_table(
        "invoice_reminders",
        *account_row(primary_key=True),
        sa.Column("invoice_id", sa.String(length=36), sa.ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        key("email_id", nullable=True),
        at("created_at"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_invoice_reminders_invoice_kind"),
    )


def downgrade() -> None:
    op.drop_table("invoice_reminders")
    op.drop_table("user_accounts")
    op.drop_table("users")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("organisation_id")
        batch.drop_column("alert_email_addresses")
        batch.drop_column("send_customer_notifications")
