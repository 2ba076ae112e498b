"""Console sign-in: server-side sessions, CSRF tokens, and the sign-in rate limit (docs/console.md).

**Sessions** are rows of ``console_sessions``. The cookie carries a random token (256 bits); the row is
keyed by its SHA-256, so a copy of the database opens no session. A session ends when its row goes:
signing out deletes it, so does ``revoke_user_sessions``; a user who is deleted (``quire users``/``DELETE
/users``) or loses an account loses the session or that account at the next request, since every request
reads the user's state and memberships afresh. Idle sessions expire after ``IDLE``, every session after
``ABSOLUTE``. A signed cookie would need a deny-list to be revocable: a row is the simpler honest answer.

**CSRF**: each session has its own random token, rendered into every form and compared (constant time)
on every POST; the cookie is also ``SameSite=Lax`` and POSTs whose ``Origin`` names another site are refused.
The sign-in form, before any session exists, uses a double-submit token in a short-lived cookie.

**Rate limit**: failed sign-ins are stored (``console_sign_in_failures``) for ``WINDOW``; an email with
``PER_EMAIL`` failures in the window, or a client address with ``PER_IP``, is refused before the password is
even hashed (so the limit also caps the scrypt work an attacker can cause). A success clears that email's
failures. Stored in the database, the limit holds across every worker process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.console.models import ConsoleSession, ConsoleSignInFailure
from quire.core import clock
from quire.core.ids import uuid7
from quire.core.textfold import fold
from quire.users.models import User, UserAccount
from quire.users.passwords import verify_password

COOKIE = "quire_console"
SIGN_IN_COOKIE = "quire_console_signin"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(days=7)
#: ``last_seen_at`` is written at most this often (a read page must not write on every request).
TOUCH_EVERY = timedelta(minutes=5)
WINDOW = timedelta(minutes=15)
PER_EMAIL = 5
PER_IP = 20
#: Verified against when the email is unknown, so an unknown email costs as much time as a wrong password.
_DUMMY_HASH = "scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


@dataclass(frozen=True)
class Signed:
    """A request's signed-in user: the session row, the user, and the accounts it belongs to (id, name)."""

    session: ConsoleSession
    user: User
    accounts: list[tuple[str, str]]

    def member_of(self, account_id: str) -> bool:
        return any(a == account_id for a, _ in self.accounts)


async def load(session: AsyncSession, token: str | None) -> Signed | None:
    """The live session behind a cookie's token, with its active user and that user's accounts; None if the
    token is unknown, expired, or its user was deleted."""
    if not token or len(token) > 100:
        return None
    now = clock.now()
    row = await session.get(ConsoleSession, token_hash(token))
    if row is None or row.last_seen_at < now - IDLE or row.created_at < now - ABSOLUTE:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.state != "active" or not user.password_hash:
        return None
    accounts = list(await session.execute(
        select(Account.id, Account.name).join(UserAccount, UserAccount.account_id == Account.id)
        .where(UserAccount.user_id == user.id).order_by(Account.name, Account.id)))
    return Signed(row, user, [(a, n) for a, n in accounts])


def needs_touch(row: ConsoleSession) -> bool:
    return row.last_seen_at < clock.now() - TOUCH_EVERY


async def touch(session: AsyncSession, session_id: str) -> None:
    row = await session.get(ConsoleSession, session_id)
    if row is not None:
        row.last_seen_at = clock.now()
        await session.flush()


class SignInRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


async def _failures(session: AsyncSession, since: datetime, **where: str) -> int:
    column, value = next(iter(where.items()))
    return int(await session.scalar(
        select(func.count()).select_from(ConsoleSignInFailure)
        .where(getattr(ConsoleSignInFailure, column) == value, ConsoleSignInFailure.at >= since)) or 0)


async def sign_in(session: AsyncSession, email: str, password: str, ip: str) -> tuple[str, ConsoleSession]:
    """A new session for the user of ``email`` (its cookie token and row), or ``SignInRefused``: 429 while
    the email or the address is over its limit, else 401 with one message for every wrong combination."""
    now = clock.now()
    since = now - WINDOW
    key = fold(email.strip())[:254]
    await session.execute(delete(ConsoleSignInFailure).where(ConsoleSignInFailure.at < since))
    if await _failures(session, since, email_key=key) >= PER_EMAIL or await _failures(session, since, ip=ip) >= PER_IP:
        raise SignInRefused(f"Too many failed sign-ins; try again in {WINDOW.seconds // 60} minutes", 429)
    user = (await session.scalars(select(User).where(User.email_key == key))).one_or_none()
    stored = user.password_hash if user is not None and user.state == "active" else None
    member = user is not None and await session.scalar(
        select(func.count()).select_from(UserAccount).where(UserAccount.user_id == user.id))
    # scrypt takes ~0.3 s of CPU: off the event loop.
    ok = await asyncio.to_thread(verify_password, stored or _DUMMY_HASH, password)
    if not (ok and stored and member):
        session.add(ConsoleSignInFailure(id=uuid7(), email_key=key, ip=ip, at=now))
        await session.flush()
        raise SignInRefused("Wrong email or password", 401)
    assert user is not None
    await session.execute(delete(ConsoleSignInFailure).where(ConsoleSignInFailure.email_key == key))
    token = new_token()
    row = ConsoleSession(id=token_hash(token), user_id=user.id, csrf_token=new_token(), created_at=now,
                         last_seen_at=now, ip=ip[:64])
    session.add(row)
    await session.flush()
    return token, row


async def sign_out(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


async def revoke_user_sessions(session: AsyncSession, user_id: str) -> int:
    """Sign a user out of every browser (``quire users sign-out``)."""
    result = await session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
