"""``quire``: serve, migrate, and manage accounts."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from quire.config import Settings, get_settings

app = typer.Typer(help="Quire: self-hostable billing API, wire-compatible with Sequence 2024-01-01.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts and API credentials.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")

T = TypeVar("T")
DEMO_FILE = Path(".quire-demo.json")
DEMO_NAME = "Quire demo"
DEMO_USER = "demo@quire-demo.example"  # the console's demo user (docs/console.md)
#: The demo account's seller (docs/merchant-settings.md), complete enough for the PDF, the hosted page and
#: UBL/Factur-X, and fictional: ``.example`` addresses, Ofcom's drama phone range, the IBAN standard's own
#: example account, and a VAT number that is valid in form only (the one the test-suite uses).
DEMO_MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Quire Demo Ltd",
    "address": {"line1": "1 Example Street", "town": "London", "postcode": "EC1A 1AA", "country": "GB"},
    "email": "billing@quire-demo.example",
    "phoneNumber": "+44 20 7946 0000",
    "taxId": "GB980780684",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "customFields": [{"key": "Note", "value": "A fictional seller: the demo account of a local Quire"}],
}


def _with_session(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(session)`` in one committed transaction. On SQLite it is a write transaction from its first
    statement (``BEGIN IMMEDIATE``, as the app's writes): a deferred one that read, then wrote after a running
    server had committed (its worker: webhook deliveries, heartbeats), failed at once with "database is
    locked" whatever the busy timeout."""
    from quire.core.db import make_engine, make_sessionmaker, sqlite_write_transaction

    async def run() -> T:
        sqlite_write_transaction.set(True)  # this asyncio.run's context only
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


@app.command()
def migrate() -> None:
    """Apply database migrations to QUIRE_DATABASE_URL."""
    from quire.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings)
    typer.echo(f"migrated {settings.database_url}", err=True)


class HttpServer(str, Enum):
    granian = "granian"
    uvicorn = "uvicorn"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    no_migrate: Annotated[bool, typer.Option("--no-migrate", help="Skip migrations at start.")] = False,
    server: Annotated[HttpServer, typer.Option(help="HTTP server. granian spreads connections evenly over the "
                                               "workers; uvicorn's workers do not (docs/performance.md#server-choice).")] = HttpServer.granian,
) -> None:
    """Migrate, then serve the API (granian unless --server uvicorn)."""
    busy = _port_in_use(host, port)
    if busy:
        typer.echo(f"quire serve: cannot listen on {host}:{port}: {busy}. Another server is there; choose another "
                   "port (`quire serve --port N`, `make run PORT=N`).", err=True)
        raise typer.Exit(2)
    if not no_migrate:
        migrate()
    if server is HttpServer.granian:
        from granian.constants import Interfaces
        from granian.server import Server

        # A worker that dies (killed, out of memory) is started again, as uvicorn's supervisor does; granian
        # alone would stop the whole server.
        Server("quire.app:create_app", factory=True, address=host, port=port, workers=workers,
               interface=Interfaces.ASGI, websockets=False, log_access=False, respawn_failed_workers=True).serve()
        return
    import uvicorn

    uvicorn.run(
        "quire.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="info", access_log=False, proxy_headers=False,
    )


def _port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or ``None``. Granian binds with SO_REUSEPORT, so a second
    ``quire serve`` on a busy port would start without an error and the kernel would split the connections
    between the two servers (and their databases); a plain bind first refuses that, for either server."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed server's TIME_WAIT is no owner
            probe.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at the same time by this worker.")] = 4,
    queues: Annotated[list[str] | None, typer.Option("--queues", help="Queues to work (repeat or comma-separate); default: all (email only with QUIRE_SMTP_URL).")] = None,
    stalled_after: Annotated[float, typer.Option(help="Seconds without a heartbeat after which a worker's running jobs are retried.")] = 30.0,
    heartbeat: Annotated[float, typer.Option(help="Seconds between this worker's heartbeats.")] = 5.0,
    poll: Annotated[float, typer.Option(help="Seconds between polls for due jobs (PostgreSQL also listens).")] = 1.0,
) -> None:
    """Run background jobs (email delivery, billing runs…) until SIGTERM or Ctrl-C; running jobs finish first."""
    from quire.jobs import run_worker

    names = [q.strip() for item in queues or [] for q in item.split(",") if q.strip()] or None
    typer.echo(f"quire worker: {get_settings().database_url}, concurrency {concurrency}", err=True)
    run_worker(get_settings(), concurrency=concurrency, queues=names, stalled_after_seconds=stalled_after,
               heartbeat_seconds=heartbeat, poll_seconds=poll, recover_every_seconds=max(0.2, min(10.0, stalled_after / 3)))


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option(help="Account (merchant) name.")],
    merchant_settings: Annotated[
        str | None, typer.Option("--merchant-settings", help="Merchant settings as a JSON object (see docs/merchant-settings.md).")
    ] = None,
) -> None:
    """Create an account and one API credential; print exactly one JSON object on stdout."""
    from quire.accounts.service import create_account

    extra: dict[str, Any] = {}
    if merchant_settings:
        try:
            extra = json.loads(merchant_settings)
        except json.JSONDecodeError as exc:
            typer.echo(f"--merchant-settings is not valid JSON: {exc}", err=True)
            raise typer.Exit(2) from None
        if not isinstance(extra, dict):
            typer.echo("--merchant-settings must be a JSON object", err=True)
            raise typer.Exit(2)
    from quire.core.errors import ValidationFailed

    try:
        credential = _with_session(get_settings(), lambda s: create_account(s, name=name, merchant_settings=extra))
    except ValidationFailed as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(credential.as_json()) + "\n")


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """``_with_session``, a Quire error (unknown account, bad input) printed on stderr with exit code 2."""
    from quire.core.errors import QuireError

    try:
        return _with_session(settings, work)
    except QuireError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


@accounts_app.command("set")
def accounts_set(
    account: Annotated[str, typer.Argument(help="The account's sequenceAccountId.")],
    customer_notifications: Annotated[bool, typer.Option(
        "--customer-notifications/--no-customer-notifications",
        help="sendCustomerNotifications: whether Quire emails this account's customers (docs/accounts.md).")],
) -> None:
    """Change an account's settings that the API does not edit; print the account as GET
    /sequence-accounts/{id} answers it."""
    from quire.accounts.service import present_account, set_customer_notifications

    row = _run(get_settings(), lambda s: set_customer_notifications(s, account, customer_notifications))
    _print_json(present_account(row).model_dump(by_alias=True, mode="json"))


credentials_app = typer.Typer(help="API credentials (clientId:clientSecret) of an account (docs/accounts.md).",
                              no_args_is_help=True)
AccountOption = Annotated[str, typer.Option("--account", help="The account's sequenceAccountId.")]
app.add_typer(credentials_app, name="credentials")


@credentials_app.command("list")
def credentials_list(account: AccountOption) -> None:
    """The account's credentials, revoked ones included (secrets are never stored, so never shown): a JSON array."""
    from quire.accounts.service import find_account, list_credentials
    from quire.core.clock import isoformat_z

    async def work(session: Any) -> list[Any]:
        await find_account(session, account)
        return await list_credentials(session, account)

    rows = _run(get_settings(), work)
    _print_json([{"clientId": r.client_id, "sequenceAccountId": r.account_id, "createdAt": isoformat_z(r.created_at),
                  "revokedAt": isoformat_z(r.revoked_at) if r.revoked_at else None} for r in rows])


@credentials_app.command("create")
def credentials_create(account: AccountOption) -> None:
    """A new credential of the account; its secret is printed once, here, and stored only as a hash."""
    from quire.accounts.service import create_credential, find_account

    async def work(session: Any) -> Any:
        await find_account(session, account)
        return await create_credential(session, account_id=account)

    _print_json(_run(get_settings(), work).as_json())


@credentials_app.command("rotate")
def credentials_rotate(client_id: Annotated[str, typer.Argument(help="The clientId to replace.")]) -> None:
    """A new credential of the same account, the old one revoked in the same transaction; the new secret
    printed once."""
    from quire.accounts.service import rotate_credential

    _print_json(_run(get_settings(), lambda s: rotate_credential(s, client_id)).as_json())


@credentials_app.command("revoke")
def credentials_revoke(client_id: Annotated[str, typer.Argument(help="The clientId to revoke.")]) -> None:
    """Revoke a credential now: running servers refuse it within QUIRE's auth cache time (5 s, docs/accounts.md)."""
    from quire.accounts.service import revoke_credential
    from quire.core.clock import isoformat_z

    row = _run(get_settings(), lambda s: revoke_credential(s, client_id))
    _print_json({"clientId": row.client_id, "sequenceAccountId": row.account_id,
                 "revokedAt": isoformat_z(row.revoked_at) if row.revoked_at else None})


users_app = typer.Typer(help="Users: people who may sign in for one or more accounts (docs/accounts.md).",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option("--email", help="The user's email address (one user per address).")],
    account: Annotated[list[str], typer.Option("--account", help="An account of the user (repeat for several).")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin (first line) instead of generating one.")] = False,
) -> None:
    """Create a user of the accounts, with a password hashed by scrypt: read from stdin, or generated and
    printed once (``password`` in the JSON). An existing user of that email gets the accounts added."""
    from pydantic import TypeAdapter, ValidationError

    from quire.core.schemas import Email
    from quire.users import passwords
    from quire.users.service import create_user, user_accounts

    try:
        address = TypeAdapter(Email).validate_python(email)
    except ValidationError:
        typer.echo(f"--email {email!r} is not an email address", err=True)
        raise typer.Exit(2) from None
    generated = not password_stdin
    password = passwords.new_password() if generated else sys.stdin.readline().rstrip("\r\n")
    problem = passwords.check_password(password)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    hashed = passwords.hash_password(password)

    async def work(session: Any) -> dict[str, Any]:
        user, created = await create_user(session, email=address, account_ids=account, password_hash=hashed)
        return {"id": user.id, "email": user.email, "sequenceAccountIds": await user_accounts(session, user.id),
                "state": user.state, **({"password": password} if created and generated else {})}

    _print_json(_run(get_settings(), work))


@users_app.command("sign-out")
def users_sign_out(
    email: Annotated[str, typer.Option("--email", help="The user's email address.")],
) -> None:
    """End every console session of the user at once (docs/console.md#sign-in-and-sessions): each browser it signed in
    with must sign in again. Prints the number of sessions ended."""
    from sqlalchemy import select

    from quire.console.auth import revoke_user_sessions
    from quire.core.textfold import fold
    from quire.users.models import User

    async def work(session: Any) -> dict[str, Any] | None:
        user = (await session.scalars(select(User).where(User.email_key == fold(email.strip())))).one_or_none()
        if user is None:
            return None
        return {"id": user.id, "email": user.email, "sessionsEnded": await revoke_user_sessions(session, user.id)}

    result = _with_session(get_settings(), work)
    if result is None:
        typer.echo(f"No user with the email {email!r}", err=True)
        raise typer.Exit(1)
    _print_json(result)


@app.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Create the demo account once (with a fictional seller), save its credentials and URL in
    .quire-demo.json, and print them with a ready-to-paste curl line."""
    from quire.accounts import merchant
    from quire.accounts.service import create_account, create_credential, first_account_named
    from quire.core.errors import QuireError

    settings = get_settings()
    stored: dict[str, str] | None = None
    if DEMO_FILE.exists():
        try:
            stored = json.loads(DEMO_FILE.read_text())
        except ValueError:
            stored = None  # a damaged file: a new credential is made below

    async def ensure(session: Any) -> dict[str, str]:
        account = await first_account_named(session, DEMO_NAME)
        if account is None:
            credential = (await create_account(session, name=DEMO_NAME)).as_json()
        elif stored and stored.get("sequenceAccountId") == account.id and stored.get("clientSecret"):
            credential = {key: stored[key] for key in ("sequenceAccountId", "clientId", "clientSecret")}
        else:
            credential = (await create_credential(session, account_id=account.id)).as_json()
        # The seller, through the service PUT /merchant-settings uses; settings someone already gave the
        # demo account (a name of their own, or anything invalid to be fixed by PUT) are left alone.
        try:
            current = await merchant.load(session, credential["sequenceAccountId"])
        except QuireError:
            current = None
        if current is not None and current.legal_company_name is None:
            await merchant.replace(session, credential["sequenceAccountId"], merchant.parse_settings(DEMO_MERCHANT))
        return {**credential, **await _demo_user(session, credential["sequenceAccountId"], stored)}

    credential = _with_session(settings, ensure)
    base = f"http://{host}:{port}"
    DEMO_FILE.write_text(json.dumps({**credential, "url": base}, indent=2) + "\n")
    DEMO_FILE.chmod(0o600)
    typer.echo("")
    typer.echo("Quire demo account (also saved in .quire-demo.json, which the README's walk-through reads):")
    typer.echo(f"  sequenceAccountId: {credential['sequenceAccountId']}")
    typer.echo(f"  clientId:          {credential['clientId']}")
    typer.echo(f"  clientSecret:      {credential['clientSecret']}")
    typer.echo(f"  seller:            {DEMO_MERCHANT['legalCompanyName']} (fictional; replace it with PUT /merchant-settings)")
    typer.echo("")
    typer.echo("Try it:")
    typer.echo(
        f"  curl -s -u '{credential['clientId']}:{credential['clientSecret']}' -H 'Sequence-Version: 2024-01-01' "
        f"{base}/customers"
    )
    typer.echo(f"Console:     {base}/console/  (sign in as {credential['consoleEmail']}, password "
               f"{credential['consolePassword']})")
    typer.echo(f"API docs:    {base}/docs")
    typer.echo(f"Invoice pages: each finalized invoice's public page is at the URL that GET {base}/invoices/{{id}}/hosted-link returns")
    typer.echo("")


async def _demo_user(session: Any, account_id: str, stored: dict[str, str] | None) -> dict[str, str]:
    """The demo account's console user: the password saved in .quire-demo.json while it still opens the
    console, else a new one (the demo user's password is replaced; no other user is touched)."""
    from sqlalchemy import select

    from quire.core.textfold import fold
    from quire.users import passwords
    from quire.users.models import User
    from quire.users.service import ACTIVE, create_user

    user = (await session.scalars(select(User).where(User.email_key == fold(DEMO_USER)))).one_or_none()
    password = (stored or {}).get("consolePassword")
    if user is not None and password and user.state == ACTIVE and passwords.verify_password(user.password_hash, password):
        await create_user(session, email=DEMO_USER, account_ids=[account_id], password_hash=None)  # a member still
        return {"consoleEmail": DEMO_USER, "consolePassword": password}
    password = passwords.new_password()
    hashed = passwords.hash_password(password)
    user, created = await create_user(session, email=DEMO_USER, account_ids=[account_id], password_hash=hashed)
    if not created:
        user.password_hash = hashed
    return {"consoleEmail": DEMO_USER, "consolePassword": password}


billing_app = typer.Typer(help="The billing engine: invoices from billing schedules (docs/billing-engine.md).", no_args_is_help=True)
app.add_typer(billing_app, name="billing")


@billing_app.command("run")
def billing_run(
    as_of: Annotated[str, typer.Option("--as-of", help="Bill every period due up to this date (YYYY-MM-DD); default: today (UTC).")] = "",
    account: Annotated[str | None, typer.Option("--account", help="Only this account's schedules (its sequenceAccountId).")] = None,
    defer_: Annotated[bool, typer.Option("--defer", help="Hand the run to the workers (one job per chunk of schedules) instead.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Schedules billed at once; default 4 on PostgreSQL, 1 on SQLite.")] = None,
) -> None:
    """Run the billing engine to completion (a progress bar on stderr, then the counts as one JSON object)."""
    from datetime import date

    from quire.core import clock

    try:
        day = date.fromisoformat(as_of) if as_of else clock.today()
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None
    settings = get_settings()
    if defer_:
        from quire.billing.jobs import defer_run
        from quire.core.db import sqlite_write_transaction

        sqlite_write_transaction.set(True)
        batch_id, jobs = _with_session(settings, lambda s: defer_run(s, day, account))
        typer.echo(json.dumps({"batchId": batch_id, "asOf": day.isoformat(), "jobsDeferred": jobs}))
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from quire.billing.run import count_schedules, run_billing
    from quire.core.db import make_engine, make_sessionmaker

    async def run() -> Any:
        engine = make_engine(settings)
        try:
            factory = make_sessionmaker(engine)
            total = await count_schedules(factory, account)
            columns = (TextColumn("billing as of " + day.isoformat()), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=_stderr_console(), transient=False) as progress:
                task = progress.add_task("schedules", total=total)
                at_once = concurrency or (1 if engine.dialect.name == "sqlite" else 4)
                return await run_billing(factory, day, account, progress=lambda n: progress.advance(task, n),
                                         concurrency=at_once)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    typer.echo(json.dumps({"batchId": result.batch_id, "asOf": day.isoformat(), **_camel(result.counts.as_dict()),
                           "runs": result.runs}))
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if result.counts.errors:
        raise typer.Exit(1)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _camel(counts: dict[str, int]) -> dict[str, int]:
    return {name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:]): value for name, value in counts.items()}


if __name__ == "__main__":
    app()
