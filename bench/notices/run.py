"""One meeting's grants for N people (default 10,000): N inbox entries and N SMS deliveries.

What it measures, on a fresh database of the given PostgreSQL (default the machine's):
- the one statement that writes the N entries, their N deliveries, N procrastinate jobs and N
  live events (what ``services.meetings.grants.settle_due`` calls after posting the grants);
- the time from that commit to the last delivery sent, by procrastinate workers in this process
  (``--concurrency`` jobs at once) through the development SMS gateway (a JSON line each);
- the database's growth: the inbox, delivery, job and outbox tables before and after.

It does not post N grants through the ledger (that cost is the meeting's and the ledger's, and
is in bench/load); the entries are the ones a settle of N grants writes.

    .venv/bin/python -m bench.notices.run [--people 10000] [--concurrency 8] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from api import migrate
from api.cli import OPERATOR
from services import clock
from services.notices import inbox, jobs
from services.notices.deliveries import RetryPolicy
from services.notices.inbox import Entry
from services.notices.kinds import Kind
from services.orgs import service as org_service
from services.orgs.models import CommunitySettings, UnitKind
from services.sms.dev import DevGateway
from tests import servers

REPORTS = Path(__file__).resolve().parents[1] / "reports"
DAYTIME = datetime(2026, 6, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: no quiet hours
TABLES = ("notification", "delivery", "procrastinate_jobs", "outbox_event")


async def sizes(engine: Any) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            t: int(await connection.scalar(text(f"SELECT pg_total_relation_size('{t}')")))
            for t in TABLES
        }


async def run(people: int, concurrency: int) -> dict[str, Any]:
    server = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    server = server.replace("postgresql://", "postgresql+asyncpg://", 1)
    url = await servers.create_database(server, "gridpoints_bench_notices")
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_async_engine(url, pool_size=concurrency + 4)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"))
    outbox_file = Path(tempfile.mkdtemp()) / "sms.jsonl"
    try:
        async with sessions() as session, session.begin():
            street = await org_service.create_unit(
                session, OPERATOR, kind=UnitKind.STREET, name="压测街道", code="B", parent_id=None
            )
            community = await org_service.create_unit(
                session,
                OPERATOR,
                kind=UnitKind.COMMUNITY,
                name="压测社区",
                code="B-C",
                parent_id=street.id,
            )
            session.add(CommunitySettings(community_id=community.id, sms_daily_budget=people))
            await session.execute(
                text(
                    "INSERT INTO person (name, phone, community_id)"
                    " SELECT '居民' || n, '15' || lpad(n::text, 9, '0'), :c"
                    " FROM generate_series(1, :n) AS n"
                ),
                {"c": community.id, "n": people},
            )
        async with sessions() as session:
            ids = list((await session.scalars(text("SELECT id FROM person ORDER BY phone"))).all())
        before = await sizes(engine)
        runtime = jobs.Runtime(
            sessions=sessions,
            redis=redis,
            sms=DevGateway(outbox_file, sign_name="网格积分"),
            retry=RetryPolicy(),
        )
        with clock.frozen(DAYTIME):
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                written = await inbox.notify(
                    session,
                    Kind.GRANT_POSTED,
                    [
                        Entry(p, f"grant_posted:{i}", None, {"title": "社区环境清洁", "points": 10})
                        for i, p in enumerate(ids)
                    ],
                    subject_type="Grant",
                )
            committed = time.perf_counter()
            await jobs.run_worker(jobs.make_app(runtime, url), concurrency=concurrency, wait=False)
            finished = time.perf_counter()
        after = await sizes(engine)
        async with engine.connect() as connection:
            counted = await connection.execute(
                text("SELECT status::text, count(*) FROM delivery GROUP BY status")
            )
            statuses = {str(k): int(v) for k, v in counted.all()}
            entries = await connection.scalar(text("SELECT count(*) FROM notification"))
        lines = outbox_file.read_text(encoding="utf-8").count("\n") if outbox_file.exists() else 0
        growth = {t: after[t] - before[t] for t in TABLES}
        return {
            "people": people,
            "concurrency": concurrency,
            "entries_written": written,
            "entries": entries,
            "deliveries": statuses,
            "sms_lines": lines,
            "notify_seconds": round(committed - started, 3),
            "last_delivery_seconds": round(finished - committed, 3),
            "deliveries_per_second": round(people / (finished - committed), 1),
            "growth_bytes": growth,
            "growth_bytes_per_entry": round(sum(growth.values()) / max(people, 1), 1),
            "jobs_left": await _jobs_left(engine),
        }
    finally:
        await engine.dispose()
        await redis.aclose()
        await servers.drop_database(server, "gridpoints_bench_notices")


async def _jobs_left(engine: Any) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
            )
        )


def report(result: dict[str, Any], smoke: bool) -> Path:
    name = "notices-smoke" if smoke else "notices"
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    g = result["growth_bytes"]
    md = REPORTS / f"{name}.md"
    md.write_text(
        f"# Notices: one meeting's grants for {result['people']:,} people\n\n"
        f"`python -m bench.notices.run{' --smoke' if smoke else ''}`, "
        f"{result['concurrency']} jobs at once in one process, development SMS gateway.\n\n"
        f"| figure | value |\n|---|---|\n"
        f"| inbox entries written (one statement) | {result['entries_written']:,} |\n"
        f"| deliveries by status | {result['deliveries']} |\n"
        f"| SMS lines written | {result['sms_lines']:,} |\n"
        f"| write of entries + deliveries + jobs + events | {result['notify_seconds']} s |\n"
        f"| commit to last delivery sent | {result['last_delivery_seconds']} s "
        f"({result['deliveries_per_second']} per second) |\n"
        f"| jobs left | {result['jobs_left']} |\n"
        f"| growth: notification / delivery / procrastinate_jobs / outbox_event | "
        f"{g['notification']:,} / {g['delivery']:,} / {g['procrastinate_jobs']:,} / "
        f"{g['outbox_event']:,} bytes |\n"
        f"| growth per entry (all four) | {result['growth_bytes_per_entry']} bytes |\n"
    )
    return md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="500 people, for CI")
    args = parser.parse_args()
    people = 500 if args.smoke else args.people
    result = asyncio.run(run(people, args.concurrency))
    path = report(result, args.smoke)
    print(path.read_text())
    ok = (
        result["entries"] == people
        and result["deliveries"] == {"sent": people}
        and result["sms_lines"] == people
        and result["jobs_left"] == 0
    )
    if not ok:
        raise SystemExit("MISSED: not every entry was delivered exactly once")


if __name__ == "__main__":
    main()
