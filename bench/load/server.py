"""Start and stop the real API (``gridpoints serve``, uvicorn) and PostGraphile for a run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PEER_DIR = Path(__file__).resolve().parent / "peer"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Process:
    def __init__(
        self, args: list[str], env: dict[str, str], log: Path, url: str, cwd: Path | None = None
    ) -> None:
        self.log = log
        self.url = url
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=cwd,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, path: str, timeout: float = 120) -> None:
        """Until ``path`` answers; a process that never does is stopped, then reported."""
        try:
            self._wait(path, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.log.name} exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as answer:  # noqa: S310
                    if answer.status < 500:
                        return
            except urllib.error.HTTPError as error:  # e.g. 405 for a GET: it answers
                if error.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.log.name} not ready after {timeout}s")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def start_api(
    database_url: str, redis_url: str, log: Path, *, extra_env: dict[str, str] | None = None
) -> Process:
    """The API exactly as ``gridpoints serve`` runs it (``GRIDPOINTS_WORKERS`` processes)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GRIDPOINTS_PORT": str(port),
        "GRIDPOINTS_GRAPHIQL": "false",
        **(extra_env or {}),
    }
    process = Process(
        [sys.executable, "-m", "api.cli", "serve"], env, log, f"http://127.0.0.1:{port}"
    )
    process.wait_ready("/readyz")
    return process


def install_peer() -> None:
    """PostGraphile v4 from npm into bench/load/peer (once; ``npm ci`` from the lock file)."""
    if (PEER_DIR / "node_modules" / ".bin" / "postgraphile").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the PostGraphile comparison")
    command = "ci" if (PEER_DIR / "package-lock.json").exists() else "install"
    subprocess.run(
        [npm, command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER_DIR, check=True
    )


def _peer_tags(database_url: str, folder: Path) -> None:
    """``postgraphile.tags.json5`` (read from the working directory): every table but ``goods``
    omitted. The comparison needs one table, and PostGraphile's inflector trips over the
    ledger's self-references (``ledgerTransferByPendingId`` both ways)."""
    tables = subprocess.run(
        [
            "psql",
            database_url,
            "-Atc",
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    omitted = {name: {"tags": {"omit": True}} for name in tables if name != "goods"}
    config = {"version": 1, "config": {"class": omitted}}
    (folder / "postgraphile.tags.json5").write_text(json.dumps(config, indent=1))


def start_peer(database_url: str, log: Path) -> Process:
    """PostGraphile v4 on the same database (the goods table), no auth."""
    install_peer()
    _peer_tags(database_url, log.parent)
    port = free_port()
    binary = str(PEER_DIR / "node_modules" / ".bin" / "postgraphile")
    args = [
        binary,
        "--connection",
        database_url,
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-query-log",
        "--disable-graphiql",
        "--no-setof-functions-contain-nulls",
    ]
    env = {**os.environ, "NODE_ENV": "production"}
    process = Process(args, env, log, f"http://127.0.0.1:{port}", cwd=log.parent)
    process.wait_ready("/graphql", timeout=120)
    return process
