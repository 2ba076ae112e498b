"""Columns and indexes most domain tables share, as mixins and helpers.

A table lists its own columns; ``AccountRow`` puts ``id`` and ``account_id`` first and ``Timestamps``
adds ``created_at``/``updated_at`` after them. The migrated tables are unchanged (tests/test_migrations.py
compares them with the models); only the order ``Base.metadata.create_all`` would give columns differs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import UTCDateTime


class AccountRow:
    """A row owned by one account: its id (a UUIDv7 string) and the account, deleted with it."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, sort_order=-2)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), sort_order=-1)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def created_index(table: str) -> Index:
    """The index of a list in creation order (``core.pagination``'s default keyset): account, created, id."""
    return Index(f"ix_{table}_account_created", "account_id", "created_at", "id")


def id_index(table: str) -> Index:
    """The index of a list in id order (UUIDv7 ids: the order rows were received in): account, id."""
    return Index(f"ix_{table}_account_id", "account_id", "id")
