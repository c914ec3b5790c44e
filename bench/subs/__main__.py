"""``python -m bench.subs``: live subscriptions on one API process (issue 13, item 1).

Starts its own PostgreSQL, Redis and ONE API process (``gridpoints serve``, worker on) in a
temporary folder, seeds the demo street and then, in order:

1. idle: ordinary queries of one resident (``me``, the catalog, my ledger) at a fixed rate and
   ``/readyz`` every 0.5 s, from a probe process of their own, with no socket open;
2. opens ``--clients`` WebSockets (several tabs per resident), each with the web app's six
   subscriptions, from a client process (uvloop), at ``--ramp`` per second;
3. a warm-up stock change per community, until every socket has heard it;
4. ``--rounds`` rounds of events, one every ``--round-every`` s: restocks, order publications,
   residents' claims, redemptions and demands (:mod:`bench.subs.world`), then waits until the
   outbox is drained and nothing more arrives;
5. checks every delivery against the outbox (:mod:`bench.subs.check`).

Exit 1 when an invariant fails (a socket refused or failed, an event lost or duplicated,
``/readyz`` not 200, an event's mutation refused) and, in the full run, when the queries' p99
with the sockets open is more than twice the idle one. Writes ``<report>.md`` / ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from bench.chaos.servers import ROOT, Api, Postgres, Redis, api_env, cli
from bench.subs import check, clients, probes, report, world

CTX = multiprocessing.get_context("spawn")


@dataclass
class Sampler:
    """RSS and CPU of the API process (and of the client processes), Redis's connections."""

    pid: int
    redis_port: int
    subscriptions: Any = None  # a callable: subscribe messages sent so far
    others: list[int] = field(default_factory=list)
    rows: list[dict[str, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @staticmethod
    def proc(pid: int) -> tuple[float, float]:
        """(RSS MiB, CPU seconds) of ``pid``."""
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0, 0.0
        rss = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")]
        ticks = os.sysconf("SC_CLK_TCK")
        return (rss[0] if rss else 0) / 1024, (int(stat[11]) + int(stat[12])) / ticks

    def _redis(self) -> tuple[int, int]:
        import redis

        try:
            info = redis.Redis(port=self.redis_port, socket_timeout=2).info()
            return int(info["connected_clients"]), int(info.get("pubsub_channels", 0))
        except redis.RedisError:
            return -1, -1

    def run(self) -> None:
        while not self.stop.is_set():
            rss, cpu = self.proc(self.pid)
            client_cpu = sum(self.proc(p)[1] for p in self.others)
            connections, channels = self._redis()
            self.rows.append(
                {
                    "t": time.time(),
                    "rss": rss,
                    "cpu": cpu,
                    "client_cpu": client_cpu,
                    "redis_clients": connections,
                    "channels": channels,
                    "subscriptions": self.subscriptions() if self.subscriptions else 0,
                }
            )
            self.stop.wait(0.5)

    def at(self, when: float) -> dict[str, float]:
        """The sample nearest ``when``."""
        return min(self.rows, key=lambda row: abs(row["t"] - when))

    def busy(self, start: float, end: float, key: str) -> str:
        """CPU use over [start, end] as a share of one core."""
        a, b = self.at(start), self.at(end)
        return f"{100 * (b[key] - a[key]) / max(0.1, b['t'] - a['t']):.0f}%"


def _stats(samples: list[tuple[str, float, float, int]]) -> dict[str, Any]:
    took = [s[2] for s in samples]
    return {
        "n": len(took),
        "p50_s": check.percentile(took, 0.5),
        "p99_s": check.percentile(took, 0.99),
        "max_s": max(took) if took else None,
    }


def _code() -> str:
    head = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    hub = (ROOT / "services" / "events" / "hub.py").exists()
    return f"{head} ({'one Redis pub/sub connection per process' if hub else 'before the hub'})"


async def _wait(condition: Any, within: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(every)
    return bool(condition())


def _marker(postgres: Postgres) -> int:
    return int(postgres.sql("SELECT COALESCE(MAX(id), 0) FROM outbox_event"))


def _outbox(postgres: Postgres, after: int) -> list[dict[str, Any]]:
    rows = postgres.sql(
        "SELECT COALESCE(json_agg(json_build_object('id', id, 'topic', topic, 'channels', "  # noqa: S608
        f"channels, 'payload', payload) ORDER BY id), '[]') FROM outbox_event WHERE id > {after}"
    )
    found: list[dict[str, Any]] = json.loads(rows)
    return found


async def main_async(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()
    base = Path(tempfile.mkdtemp(prefix="gridpoints-subs-"))
    postgres = Postgres(base / "pg", pg_bin=args.pg_bin)
    redis = Redis(base / "redis")
    settings = {
        "GRIDPOINTS_WORKERS": "1",
        "GRIDPOINTS_WORKER_INTERVAL": "5",
        "GRIDPOINTS_DB_POOL_SIZE": "10",
        **dict(item.split("=", 1) for item in args.env),
    }
    api: Api | None = None
    procs: list[multiprocessing.process.BaseProcess] = []
    try:
        print(f"subs: servers under {base}", flush=True)
        postgres.init()
        redis.start()
        env = api_env(postgres.url, redis.url, base / "data", **settings)
        seeded = cli(env, "seed", "demo")
        if seeded.returncode:
            print(seeded.stdout, seeded.stderr, file=sys.stderr)
            return 2
        api = Api("api", env, base)
        api.start()
        assert api.process is not None
        people = -(-args.clients // args.tabs)
        async with httpx.AsyncClient(base_url=api.url) as http:
            persons, communities, probe_token = await world.build(
                http, people, args.per_round, args.rounds
            )
        print(f"subs: {len(persons)} residents signed in, {len(communities)} communities")
        sampler = Sampler(api.process.pid, redis.port)
        shared = clients.Shared(*(CTX.Value("i", 0) for _ in range(5)))
        sampler.subscriptions = lambda: shared.subscribed.value
        sampling = threading.Thread(target=sampler.run, daemon=True)
        sampling.start()

        probe_end, probe_child = CTX.Pipe()
        probe = CTX.Process(target=probes.main, args=(api.url, probe_token, args.rate, probe_child))
        probe.start()
        procs.append(probe)
        t_idle0 = time.time()
        print(f"subs: {args.idle:.0f} s idle (queries at {args.rate}/s, /readyz every 0.5 s)")
        await asyncio.sleep(args.idle)
        t_idle1 = time.time()

        specs = [clients.Spec(i, persons[i % len(persons)].token) for i in range(args.clients)]
        owners = [persons[i % len(persons)] for i in range(args.clients)]
        warm = [clients.local_id(c.warm_goods) for c in communities]
        controls: list[Connection] = []
        url = api.url.replace("http", "ws", 1) + "/graphql"
        for k in range(args.client_procs):
            mine, theirs = CTX.Pipe()
            proc = CTX.Process(
                target=clients.main,
                args=(
                    url,
                    specs[k :: args.client_procs],
                    warm,
                    args.ramp / args.client_procs,
                    shared,
                    theirs,
                ),
            )
            proc.start()
            procs.append(proc)
            controls.append(mine)
            sampler.others.append(int(proc.pid or 0))
        print(f"subs: opening {args.clients} sockets ({len(persons)} residents)", flush=True)
        await _wait(
            lambda: (
                shared.acked.value + shared.failed.value >= args.clients
                and shared.subscribed.value + 6 * shared.failed.value >= 6 * args.clients
            ),
            args.clients / args.ramp + 60,
        )
        t_open = time.time()
        await asyncio.sleep(3)  # the server sets the last subscriptions up
        t_open_settled = time.time()
        print(
            f"subs: {shared.acked.value} acked, {shared.failed.value} failed; warming up",
            flush=True,
        )
        async with httpx.AsyncClient(base_url=api.url) as http:
            answers = world.Answers()
            for c in communities:
                await world.timed(
                    http,
                    answers,
                    "stockAdjust",
                    {"goodsId": c.warm_goods, "delta": 1, "reason": "预热"},
                    c.admin,
                    [],
                )
            warmed = await _wait(lambda: shared.warm.value >= shared.acked.value, 30)
            print(f"subs: {shared.warm.value} sockets heard the warm-up (all: {warmed})")
            marker = _marker(postgres)
            for control in controls:
                control.send("events")
            t_events0 = time.time()
            for n in range(args.rounds + 1):
                began = time.monotonic()
                await asyncio.gather(
                    *(world.round_of(http, c, n, args.per_round, answers) for c in communities)
                )
                await asyncio.sleep(max(0.0, args.round_every - (time.monotonic() - began)))
        t_events1 = time.time()
        print(f"subs: {answers.sent} event mutations, {len(answers.refused)} refused; settling")
        last, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + args.settle_max
        while time.monotonic() < deadline:
            left = int(postgres.sql("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL"))
            if shared.delivered.value != last or left:
                last, quiet_since = shared.delivered.value, time.monotonic()
            elif time.monotonic() - quiet_since > 3:
                break
            await asyncio.sleep(0.5)
        t_end = time.time()
        for control in controls:
            control.send("stop")
        results = [control.recv() for control in controls]
        probe_end.send("stop")
        samples: list[tuple[str, float, float, int]] = probe_end.recv()
        for child in procs:
            child.join(30)
        sampler.stop.set()
        sampling.join()

        outcomes = sorted(
            (o for r in results for o in r["outcomes"]), key=lambda o: int(o["index"])
        )
        events = _outbox(postgres, marker)
        inactive = set(postgres.sql("SELECT id FROM goods WHERE NOT active").split())
        found = check.tally(
            events,
            owners,
            [[tuple(d) for d in o["deliveries"]] for o in outcomes],
            answers.at,
            inactive,
            t_events0,
            args.late,
        )
        result = _result(
            args,
            load_before,
            postgres,
            settings,
            outcomes,
            results,
            found,
            answers,
            events,
            samples,
            sampler,
            len(persons),
            {
                "idle0": t_idle0,
                "idle1": t_idle1,
                "open": t_open,
                "settled": t_open_settled,
                "events0": t_events0,
                "events1": t_events1,
                "end": t_end,
            },
        )
        result["clients"]["heard_warm_up"] = shared.warm.value
        log = (base / f"api-{api.starts}.log").read_text(errors="replace").splitlines()
        result["readyz"]["server_says"] = dict(
            Counter(
                "readiness check failed: " + (json.loads(x).get("check") or "?")
                if x.startswith("{")
                else x[:120]
                for x in log
                if "readiness check failed" in x
            )
        )
        report.write(Path(args.report), result, args.notes)
        print(report.summary(result), flush=True)
        return 0 if all(t["met"] for t in result["targets"].values() if t["gate"]) else 1
    finally:
        for child in procs:
            if child.is_alive():
                child.kill()
        if api is not None:
            api.kill()
        redis.kill()
        postgres.stop("immediate")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def _result(
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    postgres: Postgres,
    settings: dict[str, str],
    outcomes: list[dict[str, Any]],
    results: list[dict[str, Any]],
    found: check.Tally,
    answers: world.Answers,
    events: list[dict[str, Any]],
    samples: list[tuple[str, float, float, int]],
    sampler: Sampler,
    people: int,
    t: dict[str, float],
) -> dict[str, Any]:
    failed = [o for o in outcomes if o["errors"] or not o["acked"]]
    kinds = Counter(
        (str(o["closed_early"]) if o["closed_early"] else o["errors"][0].split(":")[0])
        for o in failed
    )
    acks = [float(o["ack_s"]) for o in outcomes if o["acked"]]
    ready = [s for s in samples if s[0] == "readyz"]
    queries = [s for s in samples if s[0] != "readyz"]
    idle = [s for s in queries if t["idle0"] <= s[1] < t["idle1"] and s[3] == 200]
    loaded = [s for s in queries if t["events0"] <= s[1] < t["end"] and s[3] == 200]
    idle_stats, loaded_stats = _stats(idle), _stats(loaded)
    ratio = (
        round(loaded_stats["p99_s"] / idle_stats["p99_s"], 2)
        if idle_stats["p99_s"] and loaded_stats["p99_s"]
        else None
    )
    in_run = [row for row in sampler.rows if row["t"] >= t["idle0"]]
    rss = {
        "idle": round(sampler.at(t["idle1"])["rss"], 1),
        "open": round(sampler.at(t["settled"])["rss"], 1),
        "peak": round(max(row["rss"] for row in in_run), 1),
    }
    acked = sum(1 for o in outcomes if o["acked"])
    per_socket = round((rss["open"] - rss["idle"]) * 1024 / max(1, acked), 1)
    not_200 = [s for s in ready if s[3] != 200]
    marks = [r["marks"] for r in results]
    client_cpu = []
    for a, b in (("ramped", "events"), ("events", "stop")):
        cpu = sum(m[b][0] - m[a][0] for m in marks)
        wall = max(m[b][1] - m[a][1] for m in marks)
        client_cpu.append(f"{100 * cpu / max(0.1, wall):.0f}%")
    ramp_cpu = sum(m["ramped"][0] for m in marks) / max(0.1, max(m["ramped"][1] for m in marks))
    cpu = {
        "api": " / ".join(
            (
                sampler.busy(t["idle0"], t["idle1"], "cpu"),
                sampler.busy(t["idle1"], t["open"], "cpu"),
                sampler.busy(t["events0"], t["end"], "cpu"),
            )
        )
        + " of one core",
        "clients": f"{100 * ramp_cpu:.0f}% / {client_cpu[1]} of one core (the ramp's pace "
        "is set by --ramp; a client near 100% would be the limit)",
    }
    lost = found.missing + found.duplicated
    targets = {
        f"{args.clients} sockets accepted, 6 subscriptions each": {
            "measured": f"{acked} acked, {len(failed)} refused or failed",
            "met": not failed and acked == args.clients,
            "gate": True,
        },
        "every event delivered (none lost, none twice)": {
            "measured": f"{found.delivered} of {found.due} due; {found.missing} missing, "
            f"{found.duplicated} duplicated",
            "met": lost == 0 and found.due > 0,
            "gate": True,
        },
        "every event's mutation answered": {
            "measured": f"{answers.sent - len(answers.refused)} of {answers.sent}",
            "met": not answers.refused,
            "gate": True,
        },
        "`/readyz` 200 throughout": {
            "measured": f"{len(ready) - len(not_200)} of {len(ready)} probes 200",
            "met": not not_200 and bool(ready),
            "gate": True,
        },
        "ordinary queries' p99 within 2x of idle": {
            "measured": f"x{ratio} ({_ms(loaded_stats['p99_s'])} vs {_ms(idle_stats['p99_s'])})"
            + (f", {ratio / 2:.2f} of the budget" if ratio else ""),
            "met": ratio is not None and ratio <= 2,
            "gate": not args.smoke,  # a smoke's few dozen samples on a CI box: shown, not gated
        },
        "RSS stated": {
            "measured": f"{rss['idle']} MiB idle, {rss['open']} MiB with the sockets open, "
            f"peak {rss['peak']} MiB; {per_socket} KiB per socket",
            "met": True,
            "gate": False,
        },
    }
    return {
        "command": " ".join(["bench/subs/run.sh", *sys.argv[1:]]),
        "code": _code(),
        "machine": report.machine(),
        "load_before": [round(x, 2) for x in load_before],
        "servers": {"postgresql": postgres.sql("SHOW server_version"), "settings": settings},
        "clients": {
            "count": args.clients,
            "people": people,
            "tabs_per_person": args.tabs,
            "processes": args.client_procs,
            "loop": results[0].get("loop"),
            "subscriptions": 6 * args.clients,
            "acked": acked,
            "failed": len(failed),
            "failures": dict(kinds),
            "failure_examples": [f"client {o['index']}: {o['errors'][:2]}" for o in failed[:10]],
            "ack_p50_s": check.percentile(acks, 0.5),
            "ack_p99_s": check.percentile(acks, 0.99),
            "ramp_per_s": args.ramp,
            "connect_s": round(t["open"] - t["idle1"], 1),
        },
        "events": {
            "mutations": answers.sent,
            "mutations_refused": len(answers.refused),
            "refused_examples": answers.refused[:10],
            "outbox_events": len(events),
            "due": found.due,
            "delivered": found.delivered,
            "missing": found.missing,
            "duplicated": found.duplicated,
            "late": found.late,
            "late_s": args.late,
            "unexpected": found.unexpected,
            "latency_p50_s": check.percentile(found.latencies, 0.5),
            "latency_p99_s": check.percentile(found.latencies, 0.99),
            "latency_max_s": max(found.latencies) if found.latencies else None,
            "by_field": {k: dict(v) for k, v in found.by_field.items()},
            "examples": found.examples,
            "events_s": round(t["events1"] - t["events0"], 1),
            "settle_s": round(t["end"] - t["events1"], 1),
            "deliveries_per_s": round(found.delivered / max(0.1, t["end"] - t["events0"]), 1),
            "api_cpu_ms_per_delivery": round(
                1000
                * (sampler.at(t["end"])["cpu"] - sampler.at(t["events0"])["cpu"])
                / max(1, found.delivered),
                2,
            ),
        },
        "readyz": {
            "samples": len(ready),
            "not_200": len(not_200),
            "not_200_at_s": [round(s[1] - t["idle0"], 1) for s in not_200[:50]],
            "max_s": max((s[2] for s in ready), default=None),
            "statuses": dict(Counter(str(s[3] or "no answer in 5 s") for s in ready)),
            "first_not_200_at_s": round(not_200[0][1] - t["idle0"], 1) if not_200 else None,
            "subscriptions_sent_then": (
                int(sampler.at(not_200[0][1])["subscriptions"]) if not_200 else None
            ),
        },
        "queries": {
            "rate_per_s": args.rate,
            "idle": idle_stats,
            "loaded": loaded_stats,
            "p99_ratio": ratio,
            "failed": sum(1 for s in queries if s[3] != 200),
        },
        "rss_mib": rss,
        "rss_kib_per_socket": per_socket,
        "cpu": cpu,
        "redis": {
            "connected_clients_max": max(row["redis_clients"] for row in in_run),
            "pubsub_channels_max": max(row["channels"] for row in in_run),
        },
        "targets": targets,
        "timeline_s": {k: round(v - t["idle0"], 1) for k, v in t.items()},
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subs", description=__doc__)
    parser.add_argument("--clients", type=int, default=2000, help="WebSockets (tabs)")
    parser.add_argument("--tabs", type=int, default=4, help="tabs per resident (one token)")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument("--ramp", type=float, default=100, help="sockets opened per second")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of events after round 0")
    parser.add_argument("--per-round", type=int, default=3, help="acting residents per round")
    parser.add_argument("--round-every", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle probes")
    parser.add_argument("--rate", type=float, default=10, help="ordinary queries per second")
    parser.add_argument("--late", type=float, default=5.0, help="a delivery later is late (s)")
    parser.add_argument("--settle-max", type=float, default=90, help="longest wait at the end")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--pg-bin", default=None, help="PostgreSQL bin folder (default: embedded)")
    parser.add_argument(
        "--report", default=str(ROOT / "bench" / "reports" / "subs"), help="report path prefix"
    )
    parser.add_argument("--notes", default=None, help="markdown file appended to the report")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    parser.add_argument(
        "--smoke", action="store_true", help="CI: 200 clients, 3 rounds, report subs-smoke"
    )
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.rounds, args.per_round, args.idle = 200, 3, 1, 8
        args.round_every, args.settle_max = 1.0, 30
        if args.report == parser.get_default("report"):
            args.report = str(ROOT / "bench" / "reports" / "subs-smoke")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
