"""The queue's tables, applied by migration 0012: procrastinate's own schema on PostgreSQL (the SQL file
procrastinate ships, for the version pinned in constraints.txt), the ``quire_jobs*`` tables on SQLite.

They are not Quire models (``quire.models.Base``): ``include_name`` keeps Alembic's comparisons and
autogenerate away from them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from quire.jobs import sqlite

PREFIXES = ("procrastinate_", "quire_job")


def is_queue_table(name: str | None) -> bool:
    return bool(name) and str(name).startswith(PREFIXES)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:  # noqa: ARG001 - Alembic's signature
    """Alembic ``include_name``: leave the queue's tables (and their indexes) out of comparisons."""
    if type_ == "table":
        return not is_queue_table(name)
    if type_ == "index" and isinstance(parent_names, dict):
        return not is_queue_table(parent_names.get("table_name"))
    return True


def create(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        sqlite.metadata.create_all(connection)
        return
    from procrastinate.schema import SchemaManager

    # Many statements (types, tables, functions, triggers): asyncpg runs them as one simple query,
    # inside the migration's transaction.
    raw = connection.connection.driver_connection
    await_only(raw.execute(SchemaManager.get_schema()))


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        sqlite.metadata.drop_all(connection)
        return
    raw = connection.connection.driver_connection
    await_only(raw.execute("""
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
            procrastinate_workers CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status CASCADE;
        DO $$ DECLARE f record; BEGIN
          FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc WHERE proname LIKE 'procrastinate\\_%' LOOP
            EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE';
          END LOOP;
        END $$;
    """))
