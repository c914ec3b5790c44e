"""The process's shared resources: the engine, the session factory and the Redis pool."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import Settings
from services import images
from services.auth.service import AuthPolicy, load_actor
from services.authz import Actor
from services.events.hub import Hub
from services.events.sockets import Sockets
from services.notices import jobs
from services.notices.deliveries import RetryPolicy
from services.sms import sending


@dataclass
class AppState:
    settings: Settings
    database_url: str
    redis_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    auth: AuthPolicy
    hub: Hub  # the one Redis pub/sub connection of the process
    sockets: Sockets  # the live WebSockets and their limits
    decodes: asyncio.Semaphore  # uploaded images being decoded at once (services.images)

    @classmethod
    def open(cls, settings: Settings, database_url: str, redis_url: str) -> AppState:
        engine = create_async_engine(
            database_url,
            # Every connection is kept: an overflow connection is closed when it comes back, and
            # each new one prepared every statement again (14% of the process's CPU with 2,000
            # sockets and events flowing, most of it in asyncpg's prepare: bench/subs).
            pool_size=2 * settings.db_pool_size,
            max_overflow=0,
            pool_pre_ping=False,
            connect_args={
                # The app's hot statements outnumber asyncpg's default cache of 100 per
                # connection: a redeem re-prepared some of them each time (bench/reports).
                "prepared_statement_cache_size": 500,
                # JIT compiles a plan for 10-50 ms to save less on the app's short queries.
                # Parallel plans stay on: without them the monthly statistics took 55 ms p50
                # (measured before their rewrite as two sides, which plans without a Gather).
                "server_settings": {"jit": "off"},
            },
        )
        redis = Redis.from_pool(  # the client closes the pool with it
            BlockingConnectionPool.from_url(
                redis_url,
                decode_responses=True,
                max_connections=settings.redis_max_connections,
                timeout=10,
            )
        )
        hub = Hub(redis, event_work=settings.ws_event_work)
        images.configure(max_pixels=settings.photo_max_pixels)
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def actor_now(person_id: uuid.UUID) -> Actor | None:
            async with sessions() as session:
                return await load_actor(session, person_id)

        return cls(
            settings=settings,
            database_url=database_url,
            redis_url=redis_url,
            engine=engine,
            sessions=sessions,
            redis=redis,
            auth=AuthPolicy(
                session_ttl=settings.session_ttl,
                attempts_per_phone=settings.signin_attempts_per_phone,
                attempts_per_client=settings.signin_attempts_per_client,
                window=settings.signin_window,
                codes=settings.code_policy(),
                wechat=settings.wechat_policy(),
            ),
            hub=hub,
            sockets=Sockets(
                redis,
                hub,
                load_actor=actor_now,
                per_person=settings.ws_max_sockets_per_person,
                per_process=settings.ws_max_sockets,
                sweep_every=settings.ws_sweep_interval,
                lease=max(90.0, 3 * settings.ws_sweep_interval),
            ),
            decodes=asyncio.Semaphore(settings.photo_decode_concurrency),
        )

    def job_runtime(self) -> jobs.Runtime:
        """What the job queue's tasks run with (services/notices/jobs.py)."""
        return jobs.Runtime(
            sessions=self.sessions,
            redis=self.redis,
            sms=self.auth.codes.gateway,
            retry=RetryPolicy(
                max_attempts=self.settings.notice_max_attempts,
                base_seconds=self.settings.notice_retry_base,
            ),
        )

    def start(self) -> None:
        """The background readers (the event hub, the socket sweep): in the app's lifespan."""
        self.hub.start()
        self.sockets.start()

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError):  # codes and messages asked for just before the
            await asyncio.wait_for(sending.drain(), timeout=5)  # stop go out
        await self.sockets.close()
        await self.hub.close()
        await self.redis.aclose()
        await self.engine.dispose()
