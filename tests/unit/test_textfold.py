"""quire.core.textfold: the caseless fold in Python (hand-written expectations), and the SQL expression
giving exactly the Python result on SQLite, on the test PostgreSQL, and on a PostgreSQL database created
with LC_CTYPE 'C' (where lower() folds ASCII only): no locale decides what matches."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import String, func, literal, select
from sqlalchemy.ext.asyncio import create_async_engine

from quire.core.db import _configure_sqlite
from quire.core.textfold import _tables, casefold, fold
from tests.support import _pg_exec, pg_admin_url


@pytest.mark.parametrize(("text", "folded"), [
    ("ZOË", "zoë"),
    ("Zoe\u0308", "zoë"),  # e + COMBINING DIAERESIS composes to ë (NFC)
    ("Straße", "strasse"),
    ("STRA\u1e9eE", "strasse"),  # capital sharp s
    ("ΣΟΦΟΣ", "σοφοσ"),
    ("σοφος", "σοφοσ"),  # final sigma
    ("İ", "i\u0307"),  # dotted capital I keeps its dot: it is not "i"
    ("I", "i"),
    ("\u212bngstr\u00f6m", "ångström"),  # ANGSTROM SIGN is canonically Å
    ("\u01c5", "\u01c6"),  # titlecase ǅ → ǆ
    ("ﬃ", "ffi"),
    ("🦄UNICORN", "🦄unicorn"),
    ("東京", "東京"),
    ("plain ascii @ 123", "plain ascii @ 123"),
])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_matches_canonical_caseless_matching() -> None:
    """Unicode D145: NFD(casefold(NFD(x))); equal folds exactly when those are equal."""
    import unicodedata

    samples = ["Ǆ", "ǅ", "ǆ", "Dž", "\u0345", "ΐ", "ΐ", "ᾈ", "Å", "Å", "Å", "ŉ"]
    for a in samples:
        for b in samples:
            d145 = unicodedata.normalize("NFD", unicodedata.normalize("NFD", a).casefold()) == unicodedata.normalize(
                "NFD", unicodedata.normalize("NFD", b).casefold())
            assert (fold(a) == fold(b)) == d145, (a, b)


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "postgresql-c-locale"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite+aiosqlite://"
        return
    admin = pg_admin_url()
    if request.param == "postgresql":
        yield admin.replace("postgresql://", "postgresql+asyncpg://")
        return
    name = f"quire_fold_c_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_exec(admin, f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                                "LC_COLLATE 'C' LC_CTYPE 'C'"))
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    finally:
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sql_folds(url: str, texts: list[str | None]) -> tuple[list[str | None], str]:
    """The SQL fold of each text, and what the database's own lower() makes of "ZOË"."""
    async def run() -> tuple[list[str | None], str]:
        engine = create_async_engine(url)
        if url.startswith("sqlite"):
            _configure_sqlite(engine)
        try:
            async with engine.connect() as conn:
                folds = [await conn.scalar(select(casefold(literal(t, String())))) for t in texts]
                return folds, str(await conn.scalar(select(func.lower(literal("ZOË", String())))))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_sql_fold_is_the_python_fold(database_url: str) -> None:
    multi, source, target = _tables()
    every_cased = source + "".join(char for char, _ in multi)
    texts: list[str | None] = [
        "ZOË", "Zoe\u0308", "Straße", "STRA\u1e9eE", "ΣΟΦΟΣ", "σοφος", "İstanbul", "\u212bNGSTRÖM", "\u01c5emal",
        "🦄UNICORN", "东京 Tokyo", "MIXED ascii ÀÉÎÕÜ", None, "", every_cased, every_cased[::-1], target,
    ]
    folds, lower = sql_folds(database_url, texts)
    assert folds == [None if t is None else fold(t) for t in texts]
    if "quire_fold_c_" in database_url or database_url.startswith("sqlite"):
        assert lower == "zoË"  # the premise: this database's own lower() folds ASCII only


@settings(max_examples=25, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=12), min_size=1,
                      max_size=20))
def test_sql_fold_on_random_text_sqlite_and_postgresql(texts: list[str]) -> None:
    expected = [fold(t) for t in texts]
    assert sql_folds("sqlite+aiosqlite://", list(texts))[0] == expected
    assert sql_folds(pg_admin_url().replace("postgresql://", "postgresql+asyncpg://"), list(texts))[0] == expected
