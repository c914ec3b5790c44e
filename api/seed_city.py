"""``gridpoints seed city``: a city-sized data set for benchmarks, loaded with COPY.

The city: ``grids`` grids, 10 per community, 25 communities per street, 3 micro-grids per grid,
one department per street; ``residents`` residents, 2 per household, ~12% party members; per
grid a worker and a leader, per community an admin and 4 joint-meeting members. Every resident
has a work and a grid account. About ``entries`` ledger transfers, written as the services would
have written them, in time order per community over the past year:

* a historic balance per account (``posted``, issuance → person, cause ``adjustment``);
* volunteering: completed orders, confirmed claims, monthly joint meetings whose agenda items
  passed, grants held at the meeting's close and posted when publicity ended (``pending`` +
  ``post``, cause ``meeting_decision``), the way :mod:`services.meetings` does it;
* redemptions of goods: a hold at checkout and its post at pickup (or still reserved, recent);
* today: an open meeting per community with 50 undecided claims and their votes, claimable
  orders, and each grid's demand queue (plus closed demands with their timelines).

Every posting is chained (``seq``, ``prev_hash``, ``hash``) per community exactly as
:mod:`services.ledger.chain` does; account counters are the sums of their transfers; no
available balance ever goes below zero at any point of the history. ``gridpoints ledger check``
and ``gridpoints ledger verify`` prove it on the result.

How it is fast: ids are deterministic (a tag and a number), so no row is read back; each worker
process loads a slice of the communities with ``COPY`` (asyncpg binary copy), making the rows
with little Python per row (see :mod:`api.seed_city_rows`) and with the garbage collector off
while it makes them (they hold no cycles); the secondary indexes of the big tables are dropped
first and rebuilt at the end from their own definitions, two at a time on two connections; the
load runs with ``session_replication_role = replica`` (as ``pg_restore --disable-triggers``
does), so foreign keys are not checked row by row and the closed-month trigger does not fire:
no month is closed in the seed, and :func:`verify_foreign_keys` checks every foreign key of the
loaded tables afterwards in one anti-join each (also on two connections).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api import seed_city_rows as rows
from api.seed_city_rows import TABLES, CitySize

__all__ = ["CitySize", "seed_city"]

BIG_TABLES = ("ledger_transfer", "ledger_account", "person", "household", "role_assignment",
              "order_claim", "agenda_item", "point_grant", "redemption", "redemption_line",
              "demand", "demand_event", "meeting_vote")  # fmt: skip
IDENTITY_SEQUENCES = (  # (table, column, ascending)
    ("ledger_transfer", "order_key", False),
    ("redemption", "order_key", False),
    ("order_claim", "seq", True),
    ("demand_event", "seq", True),
)


@dataclass
class SeedReport:
    seconds: float
    counts: dict[str, int]
    foreign_key_problems: list[str]


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_url(url))


def _worker(url: str, size: CitySize, communities: list[int], queue: Any) -> None:
    try:
        asyncio.run(_load_communities(url, size, communities, queue))
    finally:
        queue.put(None)


async def _load_communities(url: str, size: CitySize, communities: list[int], queue: Any) -> None:
    connection = await _connect(url)
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET synchronous_commit = off")
        buffers: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}

        async def flush(force: bool) -> None:
            for table, records in buffers.items():
                if records and (force or len(records) >= 20_000):
                    await connection.copy_records_to_table(
                        table, records=records, columns=TABLES[table]
                    )
                    queue.put((table, len(records)))
                    records.clear()

        gc.freeze()  # what is loaded by now lives to the end: no collection needs to look at it
        for community in communities:
            # a community's rows hold no reference cycles, and the collector would look at
            # every buffered row again and again while they are made: off meanwhile
            gc.disable()
            try:
                rows.community_rows(size, community, buffers)
            finally:
                gc.enable()
            await flush(False)
        await flush(True)
    finally:
        await connection.close()


Index = tuple[str, str, str]  # name, definition, table


async def _indexes_to_rebuild(connection: asyncpg.Connection) -> list[Index]:
    """(name, definition, table) of the big tables' indexes that back no constraint."""
    found = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition,
               t.relname AS table
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY($1::text[]) AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        list(BIG_TABLES),
    )
    return [(row["name"], row["definition"], row["table"]) for row in found]


async def verify_foreign_keys(
    connections: list[asyncpg.Connection], tables: list[str]
) -> list[str]:
    """Every single-column foreign key of ``tables`` points at a row: one anti-join each, shared
    out over ``connections`` (those of the biggest tables first)."""
    keys = await connections[0].fetch(
        """
        SELECT c.conname, t.relname AS child, a.attname AS column,
               p.relname AS parent, pa.attname AS parent_column
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND t.relname = ANY($1::text[])
        ORDER BY pg_relation_size(t.oid), c.conname
        """,
        tables,
    )
    todo = list(keys)  # the biggest last
    problems = []

    async def check(connection: asyncpg.Connection) -> None:
        while todo:
            key = todo.pop()
            missing = await connection.fetchval(
                f'SELECT count(*) FROM "{key["child"]}" x WHERE x."{key["column"]}" IS NOT NULL '  # noqa: S608
                f'AND NOT EXISTS (SELECT 1 FROM "{key["parent"]}" y '
                f'WHERE y."{key["parent_column"]}" = x."{key["column"]}")'
            )
            if missing:
                problems.append(f"{key['conname']}: {missing} rows point nowhere")

    await asyncio.gather(*(check(connection) for connection in connections))
    return sorted(problems)


async def _prepare(url: str, size: CitySize) -> list[Index]:
    connection = await _connect(url)
    try:
        if await connection.fetchval("SELECT 1 FROM org_unit WHERE code = $1", rows.city_code(0)):
            raise RuntimeError("a city is already seeded in this database")
        indexes = await _indexes_to_rebuild(connection)
        for name, _, _ in indexes:
            await connection.execute(f"DROP INDEX {name}")
        await connection.execute("SET session_replication_role = replica")
        buffers: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
        rows.city_top_rows(size, buffers)
        for table, records in buffers.items():
            if records:
                await connection.copy_records_to_table(
                    table, records=records, columns=TABLES[table]
                )
        return indexes
    finally:
        await connection.close()


async def _finish(url: str, indexes: list[Index], say: Callable[[str], None]) -> None:
    """Rebuild the dropped indexes (on two connections, those of the biggest tables first), set
    the identity sequences, vacuum and analyze."""
    connections = [await _connect(url) for _ in range(2)]
    try:
        started = time.monotonic()
        for connection in connections:
            await connection.execute("SET maintenance_work_mem = '512MB'")
        sizes: dict[str, int] = dict(
            await connections[0].fetch(
                "SELECT relname, pg_relation_size(oid) FROM pg_class "
                "WHERE relname = ANY($1::text[]) AND relnamespace = 'public'::regnamespace",
                list(BIG_TABLES),
            )
        )
        todo = sorted(indexes, key=lambda index: sizes.get(index[2], 0))  # the biggest last

        async def rebuild(connection: asyncpg.Connection) -> None:
            while todo:
                name, definition, _ = todo.pop()
                began = time.monotonic()
                await connection.execute(definition)
                if time.monotonic() - began > 1:
                    say(f"index {name} rebuilt in {time.monotonic() - began:.1f}s")

        await asyncio.gather(*(rebuild(connection) for connection in connections))
        say(f"{len(indexes)} indexes rebuilt in {time.monotonic() - started:.0f}s")
        started = time.monotonic()
        connection = connections[0]
        for table, column, ascending in IDENTITY_SEQUENCES:
            edge = "max" if ascending else "min"
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
                f"coalesce((SELECT {edge}({column}) FROM {table}), {1 if ascending else -1}))"
            )
        # org_unit's GIN index (path) took the COPY through its pending list, which ANALYZE leaves
        # alone: every scope filter would scan it (46 ms instead of 1 ms for a grid's queue)
        await connection.execute("VACUUM (ANALYZE) org_unit")
        await connection.execute("ANALYZE")
        say(f"sequences set, vacuumed and analyzed in {time.monotonic() - started:.0f}s")
    finally:
        for connection in connections:
            await connection.close()


async def _counts(url: str, say: Callable[[str], None]) -> tuple[dict[str, int], list[str]]:
    connections = [await _connect(url) for _ in range(2)]
    try:
        counts = {
            table: int(
                await connections[0].fetchval(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = $1", table
                )
                or 0
            )
            for table in TABLES
        }
        started = time.monotonic()
        problems = await verify_foreign_keys(connections, list(TABLES))
        say(f"foreign keys checked in {time.monotonic() - started:.0f}s")
        return counts, problems
    finally:
        for connection in connections:
            await connection.close()


def seed_city(url: str, size: CitySize, console: Console, *, workers: int = 2) -> SeedReport:
    """Load the city into the (migrated, city-less) database at ``url``."""
    started = time.monotonic()
    indexes = asyncio.run(_prepare(url, size))
    communities = list(range(size.communities))
    slices = [communities[i::workers] for i in range(workers)]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_worker, args=(url, size, part, queue)) for part in slices if part
    ]
    for process in processes:
        process.start()
    try:
        _show_progress(console, queue, len(processes), rows.expected_counts(size))
        for process in processes:
            process.join()
            if process.exitcode != 0:
                raise RuntimeError(f"a loader process failed (exit code {process.exitcode})")
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        console.print(f"rows loaded in {time.monotonic() - started:.0f}s; rebuilding indexes")
        asyncio.run(_finish(url, indexes, console.print))
    counts, problems = asyncio.run(_counts(url, console.print))
    return SeedReport(time.monotonic() - started, counts, problems)


def _show_progress(console: Console, queue: Any, running: int, expected: dict[str, int]) -> None:
    """A progress bar per table, fed by the loader processes."""
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = {table: progress.add_task(table, total=expected.get(table)) for table in TABLES}
        while running:
            item = queue.get()
            if item is None:
                running -= 1
                continue
            table, count = item
            progress.advance(tasks[table], count)
        for task in tasks.values():
            progress.update(task, total=progress.tasks[task].completed)
