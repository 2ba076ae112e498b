"""jobs: the background job queue (docs/jobs.md)

Revision ID: 0012
Revises: 0001
Create Date: 2026-12-07

PostgreSQL: procrastinate's schema (procrastinate_jobs, _workers, _events, _periodic_defers, their
types, functions and NOTIFY triggers), as shipped with the pinned procrastinate. SQLite: the
quire_jobs, quire_job_workers and quire_job_periodic_defers tables worked by quire.jobs.sqlite.
"""

from __future__ import annotations

from alembic import op

from quire.jobs import schema

revision = "0012"
down_revision = "0001"


def upgrade() -> None:
    schema.create(op.get_bind())


def downgrade() -> None:
    schema.drop(op.get_bind())
