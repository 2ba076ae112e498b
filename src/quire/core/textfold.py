"""Caseless matching of text, the same in Python, on SQLite and on PostgreSQL, whatever the locale.

The fold is Unicode's *canonical caseless match* (Unicode 3.13, D145), with NFC standing in for NFD
(two strings are canonically equivalent exactly when their NFC forms are equal):

    fold(s) = NFC(casefold(NFD(s)))

so ``Zoë``/``ZOË``/``Zoe + U+0308`` fold to one value, as do ``Straße``/``STRASSE`` (full folding:
ß → ss), ``Σ``/``σ``/``ς``, ``Å``/``å``/``Å`` (U+212B ANGSTROM SIGN), ``ǅ``/``Ǆ``/``ǆ``; ``İ`` folds to
``i`` + U+0307 (Unicode's default, not Turkish, folding), so it does not match ``i``; text without case
(emoji, CJK) is unchanged. docs/usage.md ("Case-insensitive matching") gives the decision.

Why not ``lower()``: SQLite's folds ASCII only, and PostgreSQL's depends on the database's ``LC_CTYPE``
(in the ``C`` locale it is ASCII-only too) and is lowercasing, not folding (ß, ς stay). So:

- **SQLite**: every connection registers ``quire_casefold`` = ``fold`` (a deterministic Python function,
  ``core.db._configure_sqlite``).
- **PostgreSQL**: ``casefold(x)`` compiles to an expression with no locale in it: ASCII text (its octet
  length equals its length) goes through ``lower(x COLLATE "C")``, which folds exactly A–Z; any other
  text through ``normalize(translate(<17 replace()s>(normalize(x, NFD)), FROM, TO), NFC)``, where the
  replace()s are the 17 full foldings to several characters (ß → ss, ﬁ → fi, …) and FROM/TO are the
  1,072 one-to-one ones, both tables computed here from Python's ``unicodedata`` (the same tables
  ``fold`` uses). ``normalize`` needs a UTF8 database, which Quire requires anyway.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Any

from sqlalchemy import String, case, func, literal, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

#: The SQL name of the function on SQLite connections.
SQLITE_FUNCTION = "quire_casefold"


def fold(value: str) -> str:
    """The caseless form of ``value`` (see the module docstring)."""
    if value.isascii():
        return value.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold())


def sqlite_fold(value: Any) -> Any:
    """``fold`` as SQLite calls it: NULL stays NULL; numbers and blobs (no case) are returned as they are."""
    return fold(value) if isinstance(value, str) else value


@cache
def _tables() -> tuple[tuple[tuple[str, str], ...], str, str]:
    """(multi-character foldings, one-to-one FROM, one-to-one TO) over every character that NFD leaves
    alone (the only ones ``casefold`` sees after NFD). Every target is its own fold, so applying the
    replace()s first and the translate() second never folds anything twice."""
    multi: list[tuple[str, str]] = []
    source, target = [], []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = char.casefold()
        if folded == char or unicodedata.normalize("NFD", char) != char:
            continue
        if len(folded) == 1:
            source.append(char)
            target.append(folded)
        else:
            multi.append((char, folded))
    return tuple(multi), "".join(source), "".join(target)


class casefold(GenericFunction[str]):  # noqa: N801 - named like the SQL function it stands for
    """``fold`` as a SQL expression, for any dialect Quire runs on."""

    type = String()
    name = "casefold"
    inherit_cache = True


@compiles(casefold, "sqlite")
def _casefold_sqlite(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(casefold, "postgresql")
def _casefold_postgresql(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = element.clauses.clauses
    multi, source, target = _tables()
    text: Any = func.normalize(value, literal_column("NFD"), type_=String())
    for char, folded in multi:
        text = func.replace(text, literal(char), literal(folded), type_=String())
    text = func.normalize(func.translate(text, literal(source), literal(target), type_=String()), literal_column("NFC"),
                          type_=String())
    ascii_only = func.octet_length(value) == func.length(value)
    expression = case((ascii_only, func.lower(value.collate("C"), type_=String())), else_=text)
    return compiler.process(expression, **kw)
