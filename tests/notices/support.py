"""Run the job queue in a test: every job due now, with a worker that stops when none is left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from api.state import AppState
from services.notices import jobs
from services.notices.deliveries import RetryPolicy
from services.sms import SmsGateway


def runtime(state: AppState, *, sms: SmsGateway | None = None, attempts: int = 5) -> jobs.Runtime:
    return jobs.Runtime(
        sessions=state.sessions,
        redis=state.redis,
        sms=sms if sms is not None else state.auth.codes.gateway,
        retry=RetryPolicy(max_attempts=attempts, base_seconds=30),
    )


async def run_jobs(state: AppState, rt: jobs.Runtime | None = None) -> None:
    """Every job whose time has come (procrastinate's real worker, ``wait=False``)."""
    app = jobs.make_app(rt or runtime(state), state.database_url)
    await jobs.run_worker(app, concurrency=1, wait=False)


async def make_due(state: AppState) -> int:
    """The database's clock reaches the jobs scheduled later (retries, quiet hours): the tests
    move our clock, procrastinate judges ``scheduled_at`` by PostgreSQL's ``now()``."""
    async with state.engine.begin() as connection:
        moved = await connection.execute(
            text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
        )
    return moved.rowcount


def sms_lines(outbox: Path, phone: str | None = None) -> list[dict[str, Any]]:
    if not outbox.exists():
        return []
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line]
    return [m for m in lines if phone is None or m["phone"] == phone]


def notices_to(outbox: Path, phone: str) -> list[str]:
    return [m["text"] for m in sms_lines(outbox, phone) if m["template"] == "notice"]
