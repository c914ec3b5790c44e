"""The background worker: settles what the clock has made due.

It posts grants whose publicity is over, records demand breaches (escalating them) and closes
unconfirmed demands as "not rated", deletes demand photos never attached a day after upload (row
and file, when given the photo store), applies each community's points expiry policy (once a day
per community), and publishes outbox events that the after-commit relay missed. Nothing
depends on it for correctness: every deadline is also judged on read (points expiry excepted: a
stopped worker leaves expired points spendable until it runs, see :mod:`services.ledger.expiry`).
Each tick is one short transaction; rows are taken with SKIP LOCKED, so several API replicas may
run it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.demands import photos
from services.demands import settle as demands
from services.events import outbox, versions
from services.ledger import expiry, idempotency
from services.ledger import service as ledger
from services.meetings import grants
from services.redemptions import lifecycle as redemptions
from services.storage import Store

log = logging.getLogger("gridpoints.worker")

Job = Callable[[AsyncSession], Awaitable[int]]
JOBS: dict[str, Job] = {
    "grants_posted": lambda s: grants.settle_due(s),
    "redemptions_expired": lambda s: redemptions.expire_due(s),
    "holds_expired": lambda s: ledger.expire_due(s),
    "points_expired": lambda s: expiry.apply_due(s),
    "idempotency_keys_purged": lambda s: idempotency.purge(s),
    "demands_settled": lambda s: demands.settle_due(s),
}


async def tick(
    sessions: async_sessionmaker[AsyncSession], redis: Redis, *, store: Store | None = None
) -> dict[str, int]:
    jobs = dict(JOBS)
    if store is not None:
        jobs["photos_purged"] = lambda s: photos.purge_unattached(s, store)
    done: dict[str, int] = {}
    for name, job in jobs.items():
        async with sessions() as session:
            async with session.begin():
                done[name] = await job(session)
            await versions.bump(redis, versions.touched(session))
    async with sessions() as session, session.begin():
        done["events_published"] = await outbox.relay(session, redis)
    return done


async def run(
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    *,
    interval: float,
    store: Store | None = None,
) -> None:
    while True:
        try:
            done = await tick(sessions, redis, store=store)
            if any(done.values()):
                log.info("worker tick", extra=done)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker tick failed")
        await asyncio.sleep(interval)
