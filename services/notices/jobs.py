"""The job queue: procrastinate on the PostgreSQL we already run.

Why procrastinate: its jobs are rows in our database, so :func:`services.notices.inbox.notify`
defers them in the change's own transaction (its SQL function ``procrastinate_defer_jobs_v1``,
called through our SQLAlchemy session: procrastinate's connectors are psycopg's, ours asyncpg's);
it has retries, periodic tasks deferred once per
tick across all workers (its ``procrastinate_periodic_defers`` unique row), and any number of
workers. The worker runs inside every ``gridpoints serve`` process (``GRIDPOINTS_JOBS_CONCURRENCY``
jobs at once, 0: none) and alone as ``gridpoints worker``; add either to scale out.

Tasks:
- ``deliver(delivery_id)``: one attempt at one delivery (:mod:`services.notices.deliveries`);
- ``remind``, every minute: :func:`services.notices.reminders.scan`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import procrastinate
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.events import outbox
from services.notices import deliveries, reminders
from services.notices.deliveries import RetryPolicy
from services.notices.inbox import DELIVER_TASK, QUEUE
from services.sms import SmsGateway

log = logging.getLogger("gridpoints.jobs")

REMIND_TASK = "remind"


@dataclass(frozen=True, slots=True)
class Runtime:
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    sms: SmsGateway | None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def conninfo(database_url: str) -> str:
    """libpq's form of our SQLAlchemy URL (``postgresql+asyncpg://`` → ``postgresql://``; a
    Unix socket stays in ``?host=``)."""
    _scheme, sep, rest = database_url.partition("://")
    return f"postgresql{sep}{rest}" if sep else database_url


async def remind_once(runtime: Runtime) -> int:
    """One reminder scan, then publish its entries' live events."""
    async with runtime.sessions() as session, session.begin():
        written = await reminders.scan(session)
    if written:
        async with runtime.sessions() as session, session.begin():
            await outbox.relay(session, runtime.redis)
    return written


async def deliver_once(runtime: Runtime, delivery_id: int) -> None:
    async with runtime.sessions() as session, session.begin():
        await deliveries.deliver(session, delivery_id, sms=runtime.sms, retry=runtime.retry)


def make_app(runtime: Runtime, database_url: str) -> procrastinate.App:
    app = procrastinate.App(
        # a small pool (jobs use our sessions; this one only fetches and finishes jobs), and a
        # database out of reach raises (30 s at open, 5 s for a connection later), so
        # :func:`supervise` starts another worker
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(database_url), min_size=1, max_size=4, timeout=5
        ),
    )

    @app.task(name=DELIVER_TASK, queue=QUEUE)
    async def deliver(delivery_id: int) -> None:
        await deliver_once(runtime, delivery_id)

    @app.periodic(cron="* * * * *", periodic_id=REMIND_TASK)
    @app.task(name=REMIND_TASK, queue=QUEUE, queueing_lock=REMIND_TASK)
    async def remind(timestamp: int) -> None:
        written = await remind_once(runtime)
        if written:
            log.info("reminders written", extra={"reminders": written})

    return app


async def supervise(
    make: Callable[[], procrastinate.App], *, concurrency: int, pause: float = 5.0
) -> None:
    """A worker for the life of the process: if it stops on an error (PostgreSQL restarting,
    the network gone), another starts after ``pause`` seconds. Jobs it held are procrastinate's
    to hand on (a stalled worker's jobs are retried)."""
    while True:
        try:
            await run_worker(make(), concurrency=concurrency)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job worker stopped; starting another in %s s", pause)
        await asyncio.sleep(pause)


async def run_worker(app: procrastinate.App, *, concurrency: int, wait: bool = True) -> None:
    """Run the queue's jobs until cancelled (``wait=False``: until none is left to run now)."""
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            wait=wait,
            install_signal_handlers=False,
            delete_jobs="successful",
            name="gridpoints",
        )
