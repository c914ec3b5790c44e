"""``gridpoints``: serve, migrate, seed, manage users, import residents.

Every command finds its servers the same way as the app: ``DATABASE_URL`` / ``REDIS_URL`` when set,
else the embedded PostgreSQL / Redis under the data folder (``GRIDPOINTS_DATA_DIR``).
The CLI acts as the operator of the server, with a system admin's rights.
"""

from __future__ import annotations

import asyncio
import csv
import getpass
import logging
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from api import embedded, gc_tuning, logs, migrate
from api.cli_ledger import ledger_app
from api.settings import get_settings
from services.auth import passwords
from services.authz import Actor, Grant
from services.errors import DomainError
from services.i18n import Language, message
from services.people import service as people_service
from services.people.importer import REQUIRED_COLUMNS, ImportReport, import_residents
from services.people.models import Role
from services.sms import sending
from services.validation import phone as normalize_phone

app = typer.Typer(help="GridPoints: community volunteer points.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
seed_app = typer.Typer(help="Sample data.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(ledger_app, name="ledger")

console = Console()
T = TypeVar("T")

OPERATOR = Actor(
    person_id=uuid.UUID(int=0),
    name="gridpoints-cli",
    community_id=None,
    household_id=None,
    grants=(Grant(Role.SYSTEM_ADMIN, None),),
)


def _urls() -> tuple[str, str]:
    settings = get_settings()
    return embedded.resolve_urls(settings.database_url, settings.redis_url, settings.data_dir)


def _database_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return embedded.normalize_database_url(settings.database_url)
    return embedded.start_postgres(settings.data_dir)


def _in_transaction(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction, committed if it returns, rolled back if it raises."""

    async def run() -> T:
        engine = create_async_engine(url)
        try:
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            async with sessions() as session, session.begin():
                result = await work(session)
            await sending.drain()  # the messages the commit set off (invites)
            return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _configure_passwords() -> None:
    get_settings().configure_passwords()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind as Ctrl-C does (a BaseException, so no ``except
    Exception`` swallows it), so that every ``finally`` runs and the embedded servers stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> NoReturn:
    raise Stopped(signum)


def _hangup_while_serving(signum: int, frame: FrameType | None) -> None:
    """Uvicorn (one process) stops gracefully on SIGINT and SIGTERM only: a SIGHUP becomes its
    SIGTERM (uvicorn then raises it again once it has stopped, and ``_raise_stopped`` ends us)."""
    logging.getLogger(__name__).info("SIGHUP: stopping")
    signal.raise_signal(signal.SIGTERM)


def _ignore_stop_signals() -> None:
    """Cleanup has begun: a second signal must not cut it short (SIGKILL still can)."""
    for sig in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(sig, signal.SIG_IGN)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed the demo data when missing.")] = False,
    workers: Annotated[
        int | None, typer.Option(help="API processes (default GRIDPOINTS_WORKERS, 1).")
    ] = None,
) -> None:
    """Migrate, optionally seed the demo data, and serve the app.

    With several workers, uvicorn starts that many API processes on the one port; this process
    keeps the embedded servers (if any) and hands their URLs to the workers.

    SIGTERM, SIGINT (Ctrl-C) and SIGHUP stop it gracefully: uvicorn stops serving (open
    connections get 5 s), then the embedded PostgreSQL and Redis it started are stopped (by
    ``main``) and the exit status is 0, as for any server stopped on request. With ``--workers``
    above 1, SIGHUP is uvicorn's: it replaces the workers one by one and goes on serving."""
    try:
        _serve(host, port, demo, workers)
    except (Stopped, KeyboardInterrupt) as stop:
        name = stop.args[0] if isinstance(stop, Stopped) else "SIGINT"
        logging.getLogger(__name__).info("stopped", extra={"signal": name})
    finally:
        _ignore_stop_signals()


def _serve(host: str | None, port: int | None, demo: bool, workers: int | None) -> None:
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    logs.configure(settings.log_level, json_lines=settings.json_logs)
    _configure_passwords()
    database_url, redis_url = _urls()
    migrate.upgrade(database_url)
    if demo:
        _seed(database_url)
    processes = workers or settings.workers
    if processes > 1:
        os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url, redis_url
        uvicorn.run(
            "api.app:from_environment",
            factory=True,
            workers=processes,
            host=host or settings.host,
            port=port or settings.port,
            **_uvicorn_options(),
        )
        return
    application = create_app(settings, database_url=database_url, redis_url=redis_url)
    gc_tuning.tune()
    signal.signal(signal.SIGHUP, _hangup_while_serving)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        **_uvicorn_options(),
    )


@app.command("worker")
def worker_command(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs at once (default GRIDPOINTS_JOBS_CONCURRENCY).")
    ] = None,
    until_idle: Annotated[
        bool,
        typer.Option(help="Scan for due reminders, run every job due now, then stop."),
    ] = False,
) -> None:
    """Run the job queue (deliveries, reminders) without serving: one more worker beside the
    ones in every ``serve`` process, on this machine or another (services/notices/jobs.py)."""
    from api.state import AppState
    from services.notices import jobs

    settings = get_settings()
    logs.configure(settings.log_level, json_lines=settings.json_logs)
    database_url, redis_url = _urls()
    migrate.upgrade(database_url)

    async def run() -> None:
        state = AppState.open(settings, database_url, redis_url)
        try:
            runtime = state.job_runtime()
            if until_idle:
                await jobs.remind_once(runtime)
            await jobs.run_worker(
                jobs.make_app(runtime, database_url),
                concurrency=concurrency or settings.jobs_concurrency or 1,
                wait=not until_idle,
            )
        finally:
            await state.close()

    try:
        asyncio.run(run())
    except (Stopped, KeyboardInterrupt):
        logging.getLogger(__name__).info("worker stopped")
    finally:
        _ignore_stop_signals()


def _uvicorn_options() -> dict[str, Any]:
    """Uvicorn never rewrites the client address from forwarded headers (it would trust them from
    127.0.0.1, i.e. from every local client, or from FORWARDED_ALLOW_IPS): the app does, for
    GRIDPOINTS_TRUSTED_PROXIES only (api/client_address.py), so the two cannot disagree.

    A stop waits at most 5 s for open connections (WebSockets live for hours; uvicorn would wait
    for them without end), then cancels what is left and shuts the app down.

    WebSocket messages are not compressed: they are small JSON, and permessage-deflate kept a
    zlib state per socket and compressed each message for each socket (2% of the process's CPU
    with 2,000 sockets, bench/subs)."""
    return {
        "log_config": None,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 5,
        "ws_per_message_deflate": False,
    }


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    migrate.upgrade(_database_url(), revision)
    console.print(f"[green]database at {revision}[/green]")


def _seed(url: str) -> None:
    from api.seed import seed_demo

    password = get_settings().demo_password
    summary = _in_transaction(url, lambda s: seed_demo(s, password))
    if summary.created:
        console.print(
            f"[green]demo data: {summary.units} units, {summary.households} households, "
            f"{summary.people} people, {summary.roles} roles, "
            f"{summary.orders} volunteer orders with their meetings[/green]"
        )
    else:
        console.print("demo data already present")


@seed_app.command("demo")
def seed_demo_command() -> None:
    """Seed the demo street (see README for the logins). Does nothing if it is there."""
    _configure_passwords()
    url = _database_url()
    migrate.upgrade(url)
    _seed(url)


@seed_app.command("city")
def seed_city_command(
    grids: Annotated[int, typer.Option(help="Grids (10 per community).")] = 200,
    residents: Annotated[int, typer.Option(help="Residents (2 per household).")] = 8_000,
    entries: Annotated[int, typer.Option(help="Ledger transfers, about.")] = 80_000,
    workers: Annotated[int, typer.Option(help="Loader processes.")] = 2,
) -> None:
    """A city for benchmarks, loaded with COPY (full size: --grids 25000 --residents 1000000
    --entries 10000000). Into a database of its own: it refuses one that has a city."""
    from api.seed_city import CitySize, seed_city

    url = _database_url()
    migrate.upgrade(url)
    size = CitySize(grids=grids, residents=residents, entries=entries)
    report = seed_city(url, size, console, workers=workers)
    for problem in report.foreign_key_problems:
        console.print(f"[red]{problem}[/red]")
    loaded = ", ".join(f"{table} {count:,}" for table, count in report.counts.items())
    console.print(f"[green]city seeded in {report.seconds:.0f}s[/green]: {loaded}")
    if report.foreign_key_problems:
        raise typer.Exit(1)


def _read_password(password: str | None) -> str:
    if password is not None:
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise typer.BadParameter("the two passwords differ")
    return first


def _credentials(phone: str, password: str | None) -> tuple[str, str]:
    """The normalized phone and a strong enough password (asked for when not given)."""
    secret = _read_password(password)
    try:
        passwords.check_strength(secret, field="password")
        return normalize_phone(phone), secret
    except DomainError as error:
        raise typer.BadParameter(message(error.code, Language.EN, error.params)) from error


@user_app.command("create-admin")
def create_admin(
    phone: Annotated[str, typer.Option(help="11-digit mobile number, the sign-in name.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "系统管理员",
    password: Annotated[str | None, typer.Option(help="Asked for when not given.")] = None,
) -> None:
    """Create a system admin (or make an existing account one) with a password."""
    _configure_passwords()
    number, secret = _credentials(phone, password)
    url = _database_url()
    migrate.upgrade(url)
    person = _in_transaction(
        url,
        lambda s: people_service.ensure_system_admin(
            s, phone=number, name=name, password_hash=passwords.hash_password(secret)
        ),
    )
    console.print(f"[green]system admin {number} ready ({person.id})[/green]")


@user_app.command("set-password")
def set_password(
    phone: Annotated[str, typer.Option(help="The account's phone number.")],
    password: Annotated[str | None, typer.Option(help="Asked for when not given.")] = None,
) -> None:
    """Set an account's password (e.g. the first one of an imported resident)."""
    _configure_passwords()
    number, secret = _credentials(phone, password)
    found = _in_transaction(
        _database_url(),
        lambda s: people_service.set_password_hash(
            s, phone=number, password_hash=passwords.hash_password(secret)
        ),
    )
    if not found:
        console.print(f"[red]no account with phone {number}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]password set for {number}[/green]")


@import_app.command("residents")
def import_residents_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    all_or_nothing: Annotated[bool, typer.Option(help="Import nothing if any row is bad.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
    language: Annotated[str, typer.Option(help="Messages in zh-CN or en.")] = "zh-CN",
) -> None:
    """Import residents from a CSV file (UTF-8, header row).

    Columns: name, phone, grid_code, address; optional party_member (yes/no) and party_branch.
    Good rows are imported, bad rows are listed with the reason; no row is ever half imported.
    """
    lang = Language.EN if language.lower().startswith("en") else Language.ZH_CN
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            label = "missing columns" if lang is Language.EN else "缺少列"
            console.print(f"[red]{label}: {', '.join(missing)}[/red]")
            raise typer.Exit(2)
        rows = list(reader)

    class DryRun(Exception):
        pass

    url = _database_url()
    migrate.upgrade(url)
    with Progress(console=console) as progress:
        task = progress.add_task("checking rows", total=len(rows))

        async def work(session: AsyncSession) -> ImportReport:
            report = await import_residents(
                session,
                OPERATOR,
                rows,
                all_or_nothing=all_or_nothing,
                on_row=lambda: progress.advance(task),
                sms=None if dry_run else get_settings().sms(),
            )
            if dry_run:
                raise DryRun(report)
            return report

        try:
            report = _in_transaction(url, work)
        except DryRun as dry:
            report = dry.args[0]
    if report.errors:
        table = Table("line", "field", "problem", title="rejected rows")
        for error in report.errors:
            table.add_row(
                str(error.line), error.field or "", message(error.code, lang, error.params)
            )
        console.print(table)
    imported = 0 if dry_run else report.imported
    console.print(
        f"rows: {report.rows}  imported: {imported}  rejected: {report.rejected}  "
        f"households created: {0 if dry_run else report.households_created}"
        + ("  (dry run: nothing written)" if dry_run else "")
    )
    if report.errors:
        raise typer.Exit(1)


def main() -> NoReturn:
    """Run a command; whatever ends it, leave (and stop, when last) the embedded servers.

    SIGTERM and SIGHUP unwind the command like Ctrl-C (``Stopped``); ``serve`` takes them as its
    normal end (exit 0), any other command exits 128 + the signal's number (143, 129) after the
    same cleanup. Only SIGKILL skips it: the next start stops what was left
    (``embedded.reap_stale``)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)
    status: int | str | None = 0
    try:
        app()
    except SystemExit as exit_:
        status = exit_.code
    except Stopped as stop:
        status = 128 + stop.signum
    finally:
        _ignore_stop_signals()
        embedded.stop()
    sys.exit(status)


if __name__ == "__main__":
    main()
