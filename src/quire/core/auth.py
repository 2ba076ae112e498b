"""HTTP Basic authentication with ``clientId:clientSecret`` (Sequence's scheme).

A small in-process cache keyed by a hash of the header saves the credential lookup on hot paths;
entries live ``CACHE_SECONDS`` (5 s) so a revoked or rotated-away credential stops working within that
time in every process, with nothing to signal between them (docs/accounts.md#how-fast-a-revoked-secret-dies).
A refused credential is never cached: the next request checks again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time

from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.service import verify_credential
from quire.core.errors import Unauthorized

CACHE_SECONDS = 5.0
_CACHE_MAX = 10_000
_cache: dict[bytes, tuple[str, float]] = {}


#: Longer Authorization headers are refused before decoding (Quire's credentials are ~100 characters).
MAX_HEADER = 1024


def _printable(text: str) -> bool:
    """No control characters: C0 (NUL included, which PostgreSQL text cannot hold), DEL, and C1."""
    return all(" " <= ch and not "\x7f" <= ch <= "\x9f" for ch in text)


def parse_basic(header: str | None) -> tuple[str, str]:
    """``(clientId, clientSecret)`` from an ``Authorization: Basic`` header, or 401 for anything else:
    another scheme, not base64, not UTF-8, no colon, or a control character in either part."""
    if not header:
        raise Unauthorized("Missing Authorization header: use 'Basic base64(clientId:clientSecret)'")
    if len(header) > MAX_HEADER:
        raise Unauthorized(f"Authorization header is longer than {MAX_HEADER} characters")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthorized("Authorization must use the Basic scheme with base64(clientId:clientSecret)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Unauthorized("Authorization header is not valid base64 of 'clientId:clientSecret'") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id or not secret:
        raise Unauthorized("Authorization header is not valid base64 of 'clientId:clientSecret'")
    if not _printable(client_id) or not _printable(secret):
        raise Unauthorized("Authorization credentials must not contain control characters")
    return client_id, secret


def _key(header: str) -> bytes:
    return hashlib.sha256(header.encode()).digest()


def _cached(key: bytes) -> str | None:
    hit = _cache.get(key)
    return hit[0] if hit is not None and hit[1] > time.monotonic() else None


def cached_account(header: str | None) -> str | None:
    """The account of a header verified less than ``CACHE_SECONDS`` ago, without touching the database
    (``None``: not cached, expired, or absent; ``authenticate`` decides)."""
    return _cached(_key(header)) if header else None


async def authenticate(session: AsyncSession, header: str | None) -> str:
    """Return the caller's account id or raise 401."""
    client_id, secret = parse_basic(header)
    assert header is not None  # parse_basic refuses an absent header
    key = _key(header)
    cached = _cached(key)
    if cached is not None:
        return cached
    now = time.monotonic()
    account_id = await verify_credential(session, client_id, secret)
    if account_id is None:
        raise Unauthorized("Invalid API credentials")
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = (account_id, now + CACHE_SECONDS)
    return account_id


def clear_cache() -> None:
    _cache.clear()
