"""``python -m bench.chaos``: the bank test. Exit 0 only with zero violations.

Starts its own PostgreSQL, Redis and two API processes in a temporary folder (never the
machine's), seeds the demo street plus the chaos world, runs the clients for ``--duration``
seconds while the nemesis kills an API process with SIGKILL every ``--kill-every`` seconds,
crash-restarts PostgreSQL once and restarts Redis once, then checks (see
:mod:`bench.chaos.checker`) and writes ``<report>.md`` / ``<report>.json`` and the history.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.chaos import checker, report
from bench.chaos.servers import ROOT, Api, Postgres, Redis, api_env, cli
from bench.chaos.workload import History, Shared, run_clients
from bench.chaos.world import build


class Nemesis:
    """The faults, on a schedule relative to the start of the run."""

    def __init__(
        self, apis: list[Api], postgres: Postgres, redis: Redis, duration: float, kill_every: float
    ) -> None:
        self.apis, self.postgres, self.redis = apis, postgres, redis
        self.duration, self.kill_every = duration, kill_every
        self.faults: list[dict[str, Any]] = []
        self.started = 0.0

    def _log(self, kind: str, target: str, began: float) -> None:
        self.faults.append(
            {
                "at_s": round(began - self.started, 2),
                "kind": kind,
                "target": target,
                "took_s": round(time.monotonic() - began, 2),
            }
        )
        print(f"  [{began - self.started:6.1f}s] {kind} {target}", flush=True)

    async def supervise(self, stop: asyncio.Event) -> None:
        """Like a process supervisor: an API process that died on its own (say it started while
        PostgreSQL was down) is started again."""
        while not stop.is_set():
            for api in self.apis:
                if api.process is not None and api.process.poll() is not None:
                    began = time.monotonic()
                    await asyncio.to_thread(api.start, False)
                    self._log("supervisor restart", api.name, began)
            await asyncio.sleep(0.5)

    async def run(self) -> None:
        """API kills on one schedule; the PostgreSQL and Redis restarts on their own, on time."""
        self.started = time.monotonic()
        await asyncio.gather(self._kills(), self._restarts())

    async def _at(self, at: float) -> None:
        await asyncio.sleep(max(0.0, self.started + at - time.monotonic()))

    async def _kills(self) -> None:
        victim = 0
        at = self.kill_every
        while at < self.duration - 3:
            await self._at(at)
            at += self.kill_every
            if time.monotonic() > self.started + self.duration - 3:
                return  # waiting for readiness made it late: the clients are done
            api = self.apis[victim % len(self.apis)]
            victim += 1
            for other in self.apis:  # never both down by our hand: the other one serves first
                if other is not api:
                    await asyncio.to_thread(_ready_or_give_up, other)
            began = time.monotonic()
            await asyncio.to_thread(api.kill)
            self._log("kill -9", api.name, began)
            await asyncio.to_thread(api.start, False)  # comes back on its own

    async def _restarts(self) -> None:
        await self._at(self.duration * 0.4 + 2)
        began = time.monotonic()
        await asyncio.to_thread(self.postgres.restart_immediate, 1.0)
        self._log("restart (immediate)", "postgresql", began)
        await self._at(self.duration * 0.7 + 2)
        began = time.monotonic()
        await asyncio.to_thread(self.redis.restart, 1.0)
        self._log("restart", "redis", began)


def _ready_or_give_up(api: Api) -> None:
    with contextlib.suppress(RuntimeError):  # a slow start: the kill goes ahead all the same
        api.wait_ready(30)


async def _subscriber(redis_url: str, seen: set[int], stop: asyncio.Event) -> None:
    """Listen to every event channel (reconnecting); the ids heard, for the report."""
    from redis.asyncio import Redis as AsyncRedis

    while not stop.is_set():
        client = AsyncRedis.from_url(redis_url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.psubscribe("gp:events:*")
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                    if message and message.get("type") == "pmessage":
                        seen.add(int(json.loads(message["data"])["id"]))
        except Exception:  # Redis is being restarted: listen again
            await asyncio.sleep(0.3)
        finally:
            await client.aclose()


async def _drain(postgres: Postgres, wait_s: float = 60) -> int:
    """Wait for the workers to publish what is left in the outbox; how many are left."""
    deadline = time.monotonic() + wait_s
    left = -1
    while time.monotonic() < deadline:
        left = int(postgres.sql("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL"))
        if left == 0:
            return 0
        await asyncio.sleep(1)
    return left


async def main_async(args: argparse.Namespace) -> int:
    random.seed(args.seed)
    base = Path(tempfile.mkdtemp(prefix="gridpoints-chaos-"))
    postgres = Postgres(base / "pg", pg_bin=args.pg_bin)
    redis = Redis(base / "redis")
    apis: list[Api] = []
    out = Path(args.report)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        print(f"chaos: servers under {base}", flush=True)
        postgres.init()
        redis.start()
        env = api_env(postgres.url, redis.url, base / "data", GRIDPOINTS_WORKER_INTERVAL="2")
        seeded = cli(env, "seed", "demo")
        if seeded.returncode:
            print(seeded.stdout, seeded.stderr, file=sys.stderr)
            return 2
        world = await build(postgres.url, args.residents, args.duration + 60)
        print(f"chaos: world of {len(world.residents)} residents in {world.community_id}")
        apis = [Api(f"api{n}", env, base) for n in (1, 2)]
        for api in apis:
            api.start(wait=False)
        for api in apis:
            await asyncio.to_thread(api.wait_ready)
        history = History(Path(f"{out}-history.jsonl"))
        shared = Shared()
        nemesis = Nemesis(apis, postgres, redis, args.duration, args.kill_every)
        seen: set[int] = set()
        stop = asyncio.Event()
        listener = asyncio.create_task(_subscriber(redis.url, seen, stop))
        print(f"chaos: {args.duration:.0f} s of clients and faults", flush=True)
        started = time.time()
        world.extra["run_started"] = started
        shared.stop_at = time.monotonic() + args.duration
        clients = asyncio.create_task(run_clients(world, [a.port for a in apis], history, shared))
        supervising = asyncio.Event()
        supervisor = asyncio.create_task(nemesis.supervise(supervising))
        await nemesis.run()
        await clients
        supervising.set()
        await supervisor
        elapsed = time.time() - started
        history.close()
        for api in apis:  # both up again for the drain
            if api.process is None or api.process.poll() is not None:
                api.start(wait=False)
            await asyncio.to_thread(api.wait_ready, 90)
        left = await _drain(postgres)
        stop.set()
        await listener
        violations = await checker.check_all(postgres.url, world, history.records)
        violations["deadlocks"] = await asyncio.to_thread(
            checker.deadlocks, base, postgres.data / "log"
        )
        for command in (("ledger", "check"), ("ledger", "verify")):
            done = cli(env, *command)
            if done.returncode:
                violations.setdefault("cli", []).append(
                    f"gridpoints {' '.join(command)}: {done.stdout[-500:]}"
                )
        events = int(postgres.sql("SELECT COUNT(*) FROM outbox_event"))
        run_events = int(
            postgres.sql(
                f"SELECT COUNT(*) FROM outbox_event WHERE created_at >= to_timestamp({started})"  # noqa: S608
            )
        )
        heard = len(
            {
                int(x)
                for x in postgres.sql(
                    f"SELECT id FROM outbox_event WHERE created_at >= to_timestamp({started})"  # noqa: S608
                ).split()
            }
            & seen
        )
        states = postgres.sql(
            "SELECT state, COUNT(*) FROM redemption GROUP BY state ORDER BY state"
        ).splitlines()
        retries = report.retries(history.records)
        outcomes = Counter(r.outcome for r in history.records)
        by_op: dict[str, Counter[str]] = {}
        for r in history.records:
            by_op.setdefault(r.op, Counter())[r.outcome] += 1
        result = {
            "command": " ".join(["python -m bench.chaos", *sys.argv[1:]]),
            "machine": report.machine(),
            "servers": {
                "postgresql": postgres.sql("SHOW server_version"),
                "redis": redis.url,
                "api_processes": len(apis),
            },
            "duration_s": round(elapsed, 1),
            "clients": len(world.residents) + 5,
            "operations": len(history.records),
            "outcomes": dict(outcomes),
            "by_operation": {op: dict(c) for op, c in sorted(by_op.items())},
            "retries": retries,
            "faults": nemesis.faults,
            "faults_injected": sum(1 for f in nemesis.faults if "supervisor" not in f["kind"]),
            "api_restarts": sum(a.starts - 1 for a in apis),
            "events": {
                "outbox_total": events,
                "during_run": run_events,
                "unpublished_after_drain": left,
                "heard_by_live_subscriber": heard,
            },
            "redemptions_by_state": dict(line.split("|") for line in states),
            "grants_held_during_run": int(
                postgres.sql(
                    "SELECT COUNT(*) FROM point_grant WHERE created_at >= "  # noqa: S608
                    f"to_timestamp({started})"
                )
            ),
            "violations": {name: found for name, found in violations.items()},
            "violation_count": sum(len(v) for v in violations.values()),
            "history": f"{out.name}-history.jsonl.gz",
            "python": platform.python_version(),
        }
        report.write(out, result, args.notes)
        await asyncio.to_thread(report.compress, Path(f"{out}-history.jsonl"))
        print(report.summary(result), flush=True)
        return 0 if result["violation_count"] == 0 else 1
    finally:
        for api in apis:
            api.kill()
        redis.kill()
        postgres.stop("immediate")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--duration", type=float, default=180, help="seconds of load and faults")
    parser.add_argument("--residents", type=int, default=24, help="resident clients")
    parser.add_argument("--kill-every", type=float, default=10, help="seconds between kill -9")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-bin", default=None, help="PostgreSQL bin folder (default: embedded)")
    parser.add_argument(
        "--report", default=str(ROOT / "bench" / "reports" / "chaos"), help="report path prefix"
    )
    parser.add_argument("--notes", default=None, help="markdown file appended to the report")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    parser.add_argument(
        "--smoke", action="store_true", help="CI: 60 s, 12 residents, report chaos-smoke"
    )
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.residents = 60, 12
        args.report = str(ROOT / "bench" / "reports" / "chaos-smoke")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
