"""``gridpoints ledger``: verify, export and check the points ledger; expire holds and points;
purge keys.

``verify`` recomputes every community's hash chain and balances (from the database, or from a JSON
export without any database) and exits 1 naming the first broken link. ``export`` writes the JSON
anyone may download to check a community's ledger themselves (it names nobody: see
:mod:`services.ledger.verify`). ``check`` is the quick in-database
balance check (counters = entries, each kind sums to zero), cheap enough for a cron job.
``expire`` voids holds past their deadline; ``expire-points`` applies the communities' points
expiry policies (both are also worker jobs). Servers are found as for every command (see
:mod:`api.cli`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger import check, expiry, idempotency, verify
from services.ledger import service as ledger
from services.orgs import service as org_service
from services.orgs.models import OrgUnit, UnitKind

ledger_app = typer.Typer(help="The points ledger.", no_args_is_help=True)

console = Console()
T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from api.cli import _database_url, _in_transaction  # api.cli adds this app: import late

    return _in_transaction(_database_url(), work)


async def _community(session: AsyncSession, code: str) -> OrgUnit:
    unit = await org_service.get_unit_by_code(session, code)
    if unit is None or unit.kind is not UnitKind.COMMUNITY:
        console.print(f"[red]no community with code {code}[/red]")
        raise typer.Exit(2)
    return unit


def _show(report: verify.Report) -> None:
    console.print(
        f"communities: {report.communities}  accounts: {report.accounts}  "
        f"transfers: {report.transfers}"
    )
    if report.unrecomputed:
        console.print(
            f"{report.unrecomputed} postings hashed in the older form (over private fields "
            "this export omits): links checked, hashes not recomputed; verify the database "
            "to recompute them"
        )
    if report.broken:
        console.print(f"[red]broken link: {report.broken}[/red]", soft_wrap=True)
    for problem in report.problems:
        console.print(f"[red]{problem}[/red]", soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]ledger verified: chain intact, balances equal entries[/green]")


@ledger_app.command("verify")
def verify_command(
    community: Annotated[
        str | None, typer.Option(help="Community code; default: every community.")
    ] = None,
    from_json: Annotated[
        Path | None,
        typer.Option(
            "--from-json", exists=True, dir_okay=False, help="Verify an export, not the database."
        ),
    ] = None,
) -> None:
    """Recompute the hash chain and the balances; exit 1 naming the first broken link."""
    if from_json is not None:
        data = json.loads(from_json.read_text(encoding="utf-8"))
        exports = data if isinstance(data, list) else [data]
        report = verify.Report()
        for one in exports:
            verify.verify_export(one, report)
        _show(report)
        return

    async def work(session: AsyncSession) -> verify.Report:
        unit = await _community(session, community) if community else None
        return await verify.verify_database(session, community_id=unit.id if unit else None)

    _show(_run(work))


@ledger_app.command("export")
def export_command(
    community: Annotated[str, typer.Option(help="Community code.")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="Where to write the JSON.")],
) -> None:
    """Write a community's whole ledger as JSON, for anyone to verify (it names nobody)."""

    async def work(session: AsyncSession) -> verify.Export:
        return await verify.export(session, await _community(session, community))

    data = _run(work)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    console.print(f"[green]{len(data['transfers'])} transfers written to {out}[/green]")


@ledger_app.command("check")
def check_command(
    community: Annotated[
        str | None, typer.Option(help="Community code; default: every community.")
    ] = None,
) -> None:
    """Quick in-database check: every balance equals its entries, every kind sums to zero."""

    async def work(session: AsyncSession) -> list[str]:
        unit = await _community(session, community) if community else None
        return await check.check(session, community_id=unit.id if unit else None)

    problems = _run(work)
    for problem in problems:
        console.print(f"[red]{problem}[/red]", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("[green]balances equal entries; every point kind sums to zero[/green]")


@ledger_app.command("expire")
def expire_command() -> None:
    """Void the holds past their deadline (what the worker does)."""
    count = _run(lambda session: ledger.expire_due(session))
    console.print(f"{count} expired holds voided")


@ledger_app.command("expire-points")
def expire_points_command(
    community: Annotated[
        str | None, typer.Option(help="Community code; default: every community with a policy.")
    ] = None,
) -> None:
    """Apply the points expiry policies now: expired points go to the expiry account."""

    async def work(session: AsyncSession) -> dict[str, int]:
        if community is not None:
            units = [await _community(session, community)]
        else:  # in id order, as the worker locks them
            ids = await expiry.communities_with_policy(session)
            found = await org_service.units_by_ids(session, ids)
            units = [found[unit_id] for unit_id in ids]
        return {
            unit.code: await expiry.apply_expiry(session, community_id=unit.id) for unit in units
        }

    written = _run(work)
    for code, count in sorted(written.items()):
        console.print(f"{code}: {count} expiring transfers written")
    console.print(f"{sum(written.values())} expiring transfers written in all")


@ledger_app.command("purge-keys")
def purge_keys_command(
    hours: Annotated[int, typer.Option(min=24, help="Keep keys younger than this.")] = 24,
) -> None:
    """Delete idempotency keys older than HOURS (at least 24)."""
    count = _run(lambda session: idempotency.purge(session, keep=timedelta(hours=hours)))
    console.print(f"{count} idempotency keys purged")
