"""Whatever ends `gridpoints serve` (or a test run), the embedded servers it started end with it.

Real processes on the zero-setup path (no DATABASE_URL / REDIS_URL, a data dir of its own): start
`gridpoints serve`, wait for /readyz, note the PIDs of its PostgreSQL (the postmaster and its
children) and its Redis, send the signal, wait for the exit, then look for anything left: the noted
PIDs and any process whose command line or working directory is in the data dir (issue 21).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import private_dir
from tests.servers import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
_spawned: list[asyncio.subprocess.Process] = []
_watched: list[tuple[Path, list[psutil.Process]]] = []


@pytest.fixture(autouse=True)
def no_leak_past_a_failure() -> Iterator[None]:
    """A failing test must not leave its servers running: kill what it started or noted."""
    yield
    for process in _spawned:
        if process.returncode is None:
            process.kill()
    for data, noted in _watched:
        for line in left_over(data, noted):
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(int(line.split()[0])).kill()
    _spawned.clear()
    _watched.clear()


def zero_setup_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["GRIDPOINTS_DATA_DIR"] = str(data)
    env["PYTHONPATH"] = str(ROOT)
    return env


async def start_serve(data: Path) -> asyncio.subprocess.Process:
    """`gridpoints serve` on the zero-setup path, ready (/readyz 200)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--port",
        str(port),
        env=zero_setup_env(data),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    _spawned.append(process)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError(f"serve exited early ({process.returncode})")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("serve never became ready")


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def servers_of(data: Path) -> list[psutil.Process]:
    """The embedded servers running for ``data``: the postmaster (postmaster.pid) with its
    children, and the redis-server (the pidfile its settings file names)."""
    found: list[psutil.Process] = []
    postmaster = data / "postgres" / "postmaster.pid"
    if postmaster.exists():
        process = psutil.Process(int(postmaster.read_text().split()[0]))
        found += [process, *process.children(recursive=True)]
    settings = data / "redis.rdb.settings"
    if settings.exists():
        pidfile = Path(json.loads(settings.read_text())["pidfile"])
        found.append(psutil.Process(int(pidfile.read_text())))
    found = [p for p in found if alive(p)]
    _watched.append((data, found))
    return found


def left_over(data: Path, noted: list[psutil.Process]) -> list[str]:
    """Noted processes still alive, and any process whose command line or cwd is in ``data``."""
    where = str(data.resolve())
    left = {p.pid: p for p in noted if alive(p)}
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if (where in cmdline or (process.info["cwd"] or "").startswith(where)) and alive(process):
            left[process.pid] = process
    left.pop(os.getpid(), None)
    return [f"{p.pid} {' '.join(p.cmdline())}" for p in left.values() if alive(p)]


async def stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> float:
    """Send ``sig`` and wait for the exit; the seconds it took."""
    started = time.monotonic()
    process.send_signal(sig)
    await asyncio.wait_for(process.wait(), 60)
    return time.monotonic() - started


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
async def test_a_signal_stops_serve_and_its_embedded_servers(sig: signal.Signals) -> None:
    data = private_dir()
    process = await start_serve(data)
    noted = servers_of(data)
    assert len(noted) >= 3, noted  # a postmaster, its helpers, a redis-server
    seconds = await stop(process, sig)
    assert process.returncode == 0, f"{sig.name}: exit status {process.returncode}"
    assert left_over(data, noted) == [], f"after {sig.name}"
    assert not (data / "postgres" / "postmaster.pid").exists()
    print(f"{sig.name}: stopped in {seconds:.2f}s")


async def test_a_killed_serve_is_cleaned_up_by_the_next_start() -> None:
    """SIGKILL cannot be caught: the next start stops what the killed one left, and its own stop
    leaves nothing (no second Redis beside the first)."""
    data = private_dir()
    first = await start_serve(data)
    noted = servers_of(data)
    first.kill()
    await asyncio.wait_for(first.wait(), 30)
    assert alive(noted[0]) and alive(noted[-1])  # the postmaster and Redis wait for the next start
    second = await start_serve(data)
    noted += servers_of(data)
    await stop(second, signal.SIGTERM)
    assert second.returncode == 0
    assert left_over(data, noted) == []


INTERRUPTED_RUN = """
import os, time
from pathlib import Path

def test_waits(server_url, redis_url, data_dir):
    Path(os.environ["GRIDPOINTS_MARK"]).write_text(str(data_dir))
    time.sleep(120)
"""


async def run_pytest_until_started(tmp: Path) -> tuple[asyncio.subprocess.Process, Path]:
    """A test session on embedded servers (conftest), inside its one test; its data dir."""
    (tmp / "test_inner.py").write_text(INTERRUPTED_RUN)
    mark = tmp / "data_dir"
    env = {**zero_setup_env(tmp), "GRIDPOINTS_MARK": str(mark)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "tests.conftest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        "-p",
        "no:cacheprovider",
        str(tmp / "test_inner.py"),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    _spawned.append(process)
    for _ in range(600):
        if mark.exists() and mark.read_text():
            data = Path(mark.read_text())
            servers_of(data)  # watched from now on, should the test fail
            return process, data
        if process.returncode is not None:
            raise AssertionError(f"the inner test run exited early ({process.returncode})")
        await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("the inner test never started")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_an_interrupted_test_run_stops_its_embedded_servers(sig: signal.Signals) -> None:
    tmp = private_dir()
    process, data = await run_pytest_until_started(tmp)
    noted = servers_of(data)
    assert len(noted) >= 3, noted
    await stop(process, sig)
    assert left_over(data, noted) == [], f"after {sig.name}"


async def test_a_killed_test_run_is_cleaned_up_by_the_next_run() -> None:
    tmp = private_dir()
    process, data = await run_pytest_until_started(tmp)
    killed = servers_of(data)
    process.kill()
    await asyncio.wait_for(process.wait(), 30)
    (tmp / "data_dir").unlink()
    again, second = await run_pytest_until_started(tmp)
    assert left_over(data, killed) == []  # swept when the next run started its servers
    noted = servers_of(second)
    await stop(again, signal.SIGTERM)
    assert left_over(second, noted) == []
    assert not data.exists()  # the killed run's folder is swept
