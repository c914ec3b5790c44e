"""The process's shared resources: the engine, the session factory and the Redis pool."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import Settings
from services import images
from services.auth.service import AuthPolicy


@dataclass
class AppState:
    settings: Settings
    database_url: str
    redis_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    auth: AuthPolicy
    decodes: asyncio.Semaphore  # uploaded images being decoded at once (services.images)

    @classmethod
    def open(cls, settings: Settings, database_url: str, redis_url: str) -> AppState:
        engine = create_async_engine(
            database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
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
        images.configure(max_pixels=settings.photo_max_pixels)
        return cls(
            settings=settings,
            database_url=database_url,
            redis_url=redis_url,
            engine=engine,
            sessions=async_sessionmaker(engine, expire_on_commit=False),
            redis=Redis.from_url(redis_url, decode_responses=True),
            auth=AuthPolicy(
                session_ttl=settings.session_ttl,
                attempts_per_phone=settings.signin_attempts_per_phone,
                attempts_per_client=settings.signin_attempts_per_client,
                window=settings.signin_window,
            ),
            decodes=asyncio.Semaphore(settings.photo_decode_concurrency),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
