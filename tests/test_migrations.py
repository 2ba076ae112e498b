"""The Alembic chains build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import quire.models as models
from quire.config import Settings
from quire.core.migrate import upgrade
from quire.jobs.schema import include_name
from tests.support import drop_pg_database, required_pg_database


def _diff(database_url: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_async_engine(Settings(database_url=database_url).async_database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: list(compare_metadata(MigrationContext.configure(sync, opts={"include_name": include_name}), models.Base.metadata))
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_sqlite_schema_matches_the_models() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/migrated.db"
    upgrade(Settings(database_url=url))
    assert _diff(url) == []


def test_postgresql_schema_matches_the_models() -> None:
    url = required_pg_database()
    try:
        upgrade(Settings(database_url=url))
        assert _diff(url) == []
    finally:
        drop_pg_database(url)
