"""Users: created by the CLI, read and re-assigned by the accounts they belong to.

An account sees a user only while the user belongs to it (any other user is 404), and sees of its
``sequenceAccountIds`` only the accounts of its own organisation (``visible_accounts``): another
organisation's account ids are not shown to it. ``PUT`` and ``DELETE`` change only memberships of the
caller's organisation; a user left with no account at all is ``deleted`` and can no longer sign in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from quire.accounts.models import Account
from quire.core import clock
from quire.core.errors import NotFound, ValidationFailed
from quire.core.ids import is_uuid, uuid7
from quire.core.pagination import Page, PageParams, paginate
from quire.core.textfold import fold
from quire.users.models import User, UserAccount
from quire.users.schemas import SequenceUserRead, SequenceUserUpdate, SequenceUserUpdateRead

class UserState(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"  # in no account any more: cannot sign in, password hash erased


ACTIVE, DELETED = UserState.ACTIVE.value, UserState.DELETED.value


@dataclass(frozen=True)
class UserView:
    """A user as one account sees it: with the accounts of its organisation the user belongs to."""

    user: User
    account_ids: list[str]
    state: str | None = None  # as the caller sees it, when not the user's own (deleted from its accounts)


def present_user(view: UserView) -> SequenceUserRead:
    return SequenceUserRead(id=view.user.id, email=view.user.email, sequence_account_ids=view.account_ids,
                            state=view.state or view.user.state)


def present_update(view: UserView) -> SequenceUserUpdateRead:
    return SequenceUserUpdateRead(id=view.user.id, sequence_account_ids=view.account_ids)


def _organisation_of():  # type: ignore[no-untyped-def]
    return func.coalesce(Account.organisation_id, Account.id)


async def visible_accounts(session: AsyncSession, account_id: str) -> list[str]:
    """The ids of the accounts of the caller's organisation (the caller's own first)."""
    organisation = select(_organisation_of()).where(Account.id == account_id).scalar_subquery()
    ids = list(await session.scalars(select(Account.id).where(_organisation_of() == organisation).order_by(Account.id)))
    return [account_id, *(i for i in ids if i != account_id)]


async def _memberships(session: AsyncSession, user_ids: Sequence[str], visible: Sequence[str]) -> dict[str, list[str]]:
    rows = await session.execute(
        select(UserAccount.user_id, UserAccount.account_id)
        .where(UserAccount.user_id.in_(list(user_ids)), UserAccount.account_id.in_(list(visible)))
        .order_by(UserAccount.created_at, UserAccount.account_id))
    found: dict[str, list[str]] = {ident: [] for ident in user_ids}
    for user_id, account in rows:
        found[user_id].append(account)
    return found


def _members(account_id: str):  # type: ignore[no-untyped-def]
    member = select(UserAccount.user_id).where(UserAccount.account_id == account_id)
    return select(User).where(User.id.in_(member), User.state == ACTIVE)


async def list_users(session: AsyncSession, account_id: str, *, params: PageParams) -> Page[UserView]:
    page = await paginate(session, _members(account_id), params=params, sort_column=User.created_at, id_column=User.id)
    accounts = await _memberships(session, [u.id for u in page.items], await visible_accounts(session, account_id))
    return Page(items=[UserView(u, accounts[u.id]) for u in page.items], meta=page.meta)


async def _get(session: AsyncSession, account_id: str, ident: str, *, lock: bool = False) -> User:
    user = None
    if is_uuid(ident):
        stmt = _members(account_id).where(User.id == ident)
        user = (await session.scalars(stmt.with_for_update() if lock else stmt)).one_or_none()
    if user is None:
        raise NotFound.of("User", ident)
    return user


async def get_user(session: AsyncSession, account_id: str, ident: str) -> UserView:
    user = await _get(session, account_id, ident)
    accounts = await _memberships(session, [user.id], await visible_accounts(session, account_id))
    return UserView(user, accounts[user.id])


async def update_user(session: AsyncSession, account_id: str, ident: str, body: SequenceUserUpdate) -> UserView:
    """PUT: the user's accounts within the caller's organisation become ``sequenceAccountIds`` (each an
    account of that organisation, else 400); leaving the caller's own out removes the user from it."""
    user = await _get(session, account_id, ident, lock=True)
    visible = await visible_accounts(session, account_id)
    wanted = list(dict.fromkeys(body.sequence_account_ids))
    unknown = [(i, a) for i, a in enumerate(body.sequence_account_ids) if a not in visible]
    if unknown:
        index, ident = unknown[0]
        raise ValidationFailed(f"sequenceAccountIds[{index}]: {ident!r} is not an account you can give access to",
                               field=f"sequenceAccountIds[{index}]")
    await _set_memberships(session, user, visible, wanted)
    return UserView(user, wanted)


async def delete_user(session: AsyncSession, account_id: str, ident: str) -> UserView:
    """DELETE: the user loses every account of the caller's organisation; answered ``deleted`` (to the
    caller it is gone), and deleted for good when it belongs to no account at all."""
    user = await _get(session, account_id, ident, lock=True)
    await _set_memberships(session, user, await visible_accounts(session, account_id), [])
    return UserView(user, [], DELETED)


async def _set_memberships(session: AsyncSession, user: User, within: Sequence[str], wanted: Sequence[str]) -> None:
    now = clock.now()
    current = set(await session.scalars(select(UserAccount.account_id).where(UserAccount.user_id == user.id)))
    gone = [a for a in current if a in within and a not in wanted]
    if gone:
        await session.execute(delete(UserAccount).where(UserAccount.user_id == user.id,
                                                        UserAccount.account_id.in_(gone)))
    for account in wanted:
        if account not in current:
            session.add(UserAccount(user_id=user.id, account_id=account, created_at=now))
    remaining = (current - set(gone)) | set(wanted)
    if not remaining:
        user.state = DELETED
        user.password_hash = None
    user.updated_at = now
    await session.flush()


# --- the CLI (quire users …) ----------------------------------------------------------------------------


async def create_user(session: AsyncSession, *, email: str, account_ids: Sequence[str],
                      password_hash: str | None) -> tuple[User, bool]:
    """A new user of ``account_ids``, or the existing user of that email given those accounts as well
    (its password replaced only when it was deleted). (user, created)."""
    for account in account_ids:
        if await session.get(Account, account) is None:
            raise ValidationFailed(f"No account {account!r}", field="account")
    now = clock.now()
    user = (await session.scalars(select(User).where(User.email_key == fold(email)).with_for_update())).one_or_none()
    created = user is None or user.state == DELETED
    if user is None:
        user = User(id=uuid7(), email=email, email_key=fold(email), password_hash=password_hash, state=ACTIVE,
                    created_at=now, updated_at=now)
        session.add(user)
        await session.flush()
    elif user.state == DELETED:
        user.state, user.password_hash, user.updated_at = ACTIVE, password_hash, now
    current = set(await session.scalars(select(UserAccount.account_id).where(UserAccount.user_id == user.id)))
    for account in dict.fromkeys(account_ids):
        if account not in current:
            session.add(UserAccount(user_id=user.id, account_id=account, created_at=now))
    await session.flush()
    return user, created


async def user_accounts(session: AsyncSession, user_id: str) -> list[str]:
    return list(await session.scalars(select(UserAccount.account_id).where(UserAccount.user_id == user_id)
                                      .order_by(UserAccount.created_at, UserAccount.account_id)))
