"""``python -m bench.load``: seed a city, start the real API, drive the scenarios, write a report.

    python -m bench.load --smoke         # seconds, small data, asserts the invariants (CI)
    python -m bench.load                 # a 1/10 city (100,000 residents, 1M transfers)
    python -m bench.load --grids 25000 --residents 1000000 --entries 10000000 --soak 600

Servers: ``DATABASE_URL`` names the PostgreSQL server (default: the machine's,
``postgresql://postgres@127.0.0.1:5432/postgres``); the benchmark works in a database of its own,
``gridpoints_bench_load_<mode>``. ``REDIS_URL`` defaults to logical database 12 of the machine's
Redis. See ``bench/load/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api import seed_city_rows as city
from bench.load import driver, pgbench, report, scenarios, server, statements, world
from bench.load.driver import Client, Result

SMOKE = city.CitySize(grids=20, residents=2_000, entries=20_000, demands_per_grid=20)
DEFAULT = city.CitySize(grids=2_500, residents=100_000, entries=1_000_000)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds, small data, for CI")
    parser.add_argument("--grids", type=int)
    parser.add_argument("--residents", type=int)
    parser.add_argument("--entries", type=int)
    parser.add_argument("--fresh", action="store_true", help="drop and reseed the database")
    parser.add_argument("--seconds", type=float, help="per scenario (default 20; smoke 3)")
    parser.add_argument("--soak", type=float, help="soak seconds (default 600; smoke 10)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-peer", action="store_true", help="skip PostGraphile")
    parser.add_argument("--profile", action="store_true", help="py-spy the API under redeem")
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="the API's background worker off (GRIDPOINTS_WORKER_INTERVAL=0): on a city whose "
        "open demands are overdue it spends its ticks escalating them",
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        default=2,
        help="API processes (gridpoints serve --workers; default 2, one per core)",
    )
    parser.add_argument("--name", help="report name (default load-<mode>)")
    return parser.parse_args()


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.mode = "smoke" if args.smoke else "full"
        base = SMOKE if args.smoke else DEFAULT
        self.size = city.CitySize(
            grids=args.grids or base.grids,
            residents=args.residents or base.residents,
            entries=args.entries or base.entries,
        )
        self.seconds = args.seconds or (2.0 if args.smoke else 20.0)
        self.soak = args.soak if args.soak is not None else (6.0 if args.smoke else 600.0)
        self.concurrency = args.concurrency
        self.failures: list[str] = []
        self.data: dict[str, Any] = {
            "mode": self.mode,
            "command": "python -m bench.load " + " ".join(sys.argv[1:]),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": report.machine(),
            "load_start": report.load_average(),
            "size": self.size.__dict__,
            "scenarios": [],
            "statements": [],
            "targets": [],
            "notes": [],
        }
        self.logs = Path(tempfile.mkdtemp(prefix="gridpoints-bench-load-"))

    def say(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)

    def target(self, text: str, measured: str, met: bool, *, hard: bool = False) -> None:
        self.data["targets"].append({"target": text, "measured": measured, "met": met})
        self.say(f"{'ok  ' if met else 'MISS'} {text}: {measured}")
        if hard and not met:
            self.failures.append(f"{text}: {measured}")

    def scenario(self, result: Result) -> dict[str, Any]:
        summary = result.summary()
        self.data["scenarios"].append(summary)
        self.say(
            f"{summary['name']:<22} {summary['mode']:<12} {summary['throughput_rps']:>8} req/s "
            f"p50 {summary['p50_ms']} p99 {summary['p99_ms']} ms errors {summary['errors']}"
            + (f" ({summary['first_error']})" if summary["first_error"] else "")
        )
        if self.args.smoke and summary["errors"]:
            self.failures.append(f"{summary['name']}: {summary['first_error']}")
        return summary


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _main(run: Run) -> None:
    began = time.monotonic()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
    name = f"gridpoints_bench_load_{run.mode}"
    database_url = world.create_database(
        _server_url(), name, fresh=run.args.fresh or run.args.smoke
    )
    if not await world.has_city(database_url):
        run.say(f"seeding {run.size} into {name}")
        started = time.monotonic()
        world.seed(database_url, redis_url, run.size)
        run.data["seed_seconds"] = round(time.monotonic() - started, 1)
    blocks = await world.prewarm(database_url)
    run.data["prewarmed_mb"] = round(blocks * 8 / 1024) if blocks is not None else None
    run.say(f"prewarmed: {run.data['prewarmed_mb']} MB")
    claimants = 500
    the_world = await world.build(
        database_url, redis_url, run.size, actors=2000, claimants=claimants
    )
    rng = random.Random(11)
    meetings = {0: await world.open_meeting(the_world, 0)}

    # statements per request, in-process; the redeem's SQL for pgbench
    templates = await _statements(run, the_world, meetings, database_url, redis_url, rng)

    extra = {"GRIDPOINTS_WORKERS": str(run.args.api_workers)}
    if run.args.no_worker:
        extra["GRIDPOINTS_WORKER_INTERVAL"] = "0"
    run.data["api_worker"] = "off" if run.args.no_worker else "on (every 30 s)"
    run.data["api_processes"] = run.args.api_workers
    api = server.start_api(database_url, redis_url, run.logs / "api.log", extra_env=extra)
    rss: list[float] = []
    try:
        async with Client(api.url, run.concurrency * 2) as client:
            await _warm(client, the_world, meetings, rng)
            await _reads(run, client, the_world, meetings, rng, api.pid, rss)
            await _redeem(run, client, the_world, rng, api.pid, rss, database_url, templates)
            if not run.args.no_peer and not run.args.smoke:
                await _peer(run, client, the_world, rng, database_url, api.pid)
            await _storm(run, client, the_world, claimants, api.pid)
            await _key_queries(run, client, the_world, rng, api.pid)
            await _soak(run, client, the_world, meetings, rng, api.pid, rss)
    finally:
        api.stop()
    await _ledger_check(run, database_url, redis_url)
    run.data["seconds"] = time.monotonic() - began
    run.data["load_end"] = report.load_average()
    json_path, md_path = report.write(run.args.name or f"load-{run.mode}", run.data)
    run.say(f"report: {md_path} and {json_path}")


async def _warm(
    client: Client, w: world.World, meetings: dict[int, str], rng: random.Random
) -> None:
    for make in (
        scenarios.catalog(w, rng),
        scenarios.my_ledger(w, rng),
        scenarios.agenda(w, rng, meetings),
        scenarios.redeem(w, rng),
    ):
        for _ in range(5):
            await client.call(make())


async def _statements(
    run: Run,
    w: world.World,
    meetings: dict[int, str],
    database_url: str,
    redis_url: str,
    rng: random.Random,
) -> list[str]:
    inprocess = statements.InProcess(database_url, redis_url)
    try:
        person = w.residents[0]
        admin = next(a for a in w.admins if a.community == 0)
        await inprocess.call(scenarios.CATALOG, {"n": 1}, person.token)  # first-use queries
        small_meeting = await _smallest_closed_meeting(database_url)
        cases: list[tuple[str, int, str, dict[str, Any], str]] = [
            ("catalog", 2, scenarios.CATALOG, {"n": 2}, person.token),
            ("catalog", 20, scenarios.CATALOG, {"n": 20}, person.token),
            ("my ledger", 2, scenarios.MY_LEDGER, {"n": 2}, person.token),
            ("my ledger", 20, scenarios.MY_LEDGER, {"n": 20}, person.token),
            ("agenda", small_meeting[1], scenarios.AGENDA, {"id": small_meeting[0]}, admin.token),
            ("agenda", 50, scenarios.AGENDA, {"id": meetings[0]}, admin.token),
        ]
        counts: dict[str, set[int]] = {}
        for label, items, document, variables, token in cases:
            answer, captured = await inprocess.call(document, variables, token)
            if answer.get("errors"):
                run.failures.append(f"{label}: {answer['errors']}")
            counted = statements.count(captured)
            counts.setdefault(label, set()).add(counted["statements"])
            run.data["statements"].append({"request": label, "items": items, **counted})
        counting = w.storms[2]
        answer, captured = await inprocess.call(
            scenarios.CLAIM, {"orderId": counting.order}, counting.claimants[0].token
        )
        if driver.default_check(answer):
            run.failures.append(f"claim: {driver.default_check(answer)}")
        run.data["statements"].append(
            {"request": "claim", "items": 1, **statements.count(captured)}
        )
        (run.logs / "claim_statements.sql").write_text(
            "\n".join(f"{s} -- {p}" for s, p in captured)
        )
        # the redeem, captured once per template person (they get points enough to replay it)
        templates = []
        people = rng.sample(w.residents, min(len(w.residents), run.concurrency * 2))
        await _top_up(inprocess, people)
        for n, person in enumerate(people):
            document, variables, _ = scenarios.redeem_as(w, rng, person)
            answer, captured = await inprocess.call(document, variables, person.token)
            payload = (answer.get("data") or {}).get("redemptionCheckout") or {}
            if not payload.get("redemption"):
                raise RuntimeError(f"redeem failed while capturing: {answer}")
            if n == 0:
                run.data["statements"].append(
                    {"request": "redeem", "items": 1, **statements.count(captured)}
                )
            templates.append(pgbench.script(captured, variables["input"]["idempotencyKey"]))
        (run.logs / "redeem_template.sql").write_text(templates[0])
        for label, found in counts.items():
            run.target(
                f"{label}: statements do not grow with items returned",
                " / ".join(str(x) for x in sorted(found)),
                len(found) == 1,
                hard=True,
            )
        return templates
    finally:
        await inprocess.close()


async def _smallest_closed_meeting(database_url: str) -> tuple[str, int]:
    import asyncpg

    from schema.relay import to_global_id

    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            """SELECT m.id, count(i.id) AS items FROM joint_meeting m
               JOIN agenda_item i ON i.meeting_id = m.id
               WHERE m.community_id = $1 GROUP BY m.id ORDER BY count(i.id), m.id LIMIT 1""",
            city.community_id(0),
        )
    finally:
        await connection.close()
    return to_global_id("JointMeeting", row["id"]), int(row["items"])


async def _top_up(inprocess: statements.InProcess, people: list[world.Actor]) -> None:
    """The pgbench templates' people get enough points to redeem for the whole replay
    (an adjustment through the ledger service, so every invariant still holds)."""
    from services.ledger import service as ledger
    from services.ledger.models import AccountType, Cause, PointKind

    async with inprocess.state.sessions() as session, session.begin():
        for person in people:
            cid = city.community_id(person.community)
            for kind in (PointKind.WORK, PointKind.GRID):
                issuance = await ledger.system_account(
                    session, community_id=cid, type=AccountType.ISSUANCE, kind=kind
                )
                account = await ledger.person_account(
                    session, community_id=cid, person_id=person.person_id, kind=kind
                )
                await ledger.transfer(
                    session,
                    community_id=cid,
                    debit_account_id=issuance.id,
                    credit_account_id=account.id,
                    amount=1_000_000,
                    kind=kind,
                    cause=Cause.ADJUSTMENT,
                    cause_id=None,
                    reason="压测充值 (bench/load pgbench replay)",
                    actor_id=city.OPERATOR,
                )


async def _reads(
    run: Run,
    client: Client,
    w: world.World,
    meetings: dict[int, str],
    rng: random.Random,
    pid: int,
    rss: list[float],
) -> None:
    for label, make in (
        ("catalog (20 goods)", scenarios.catalog(w, rng)),
        ("my ledger (20)", scenarios.my_ledger(w, rng)),
        ("agenda (50 items)", scenarios.agenda(w, rng, meetings)),
    ):
        result, samples = await driver.during(
            driver.closed_loop(
                client, label, make, concurrency=run.concurrency, seconds=run.seconds
            ),
            pid,
        )
        rss.extend(samples)
        run.scenario(result)


async def _redeem(
    run: Run,
    client: Client,
    w: world.World,
    rng: random.Random,
    pid: int,
    rss: list[float],
    database_url: str,
    templates: list[str],
) -> None:
    make = scenarios.redeem(w, rng)
    profile = _start_profile(run, pid) if run.args.profile else None
    closed, samples = await driver.during(
        driver.closed_loop(
            client, "redeem", make, concurrency=run.concurrency, seconds=run.seconds
        ),
        pid,
    )
    rss.extend(samples)
    ours = run.scenario(closed)
    if profile is not None:
        run.data["profile"] = _finish_profile(run, profile)
    bench = await asyncio.to_thread(
        pgbench.run,
        database_url,
        templates,
        clients=run.concurrency,
        seconds=max(3, int(run.seconds)),
    )
    half = max(1.0, closed.throughput / 2)
    paced, samples = await driver.during(
        driver.constant_rate(client, "redeem (half max)", make, rate=half, seconds=run.seconds),
        pid,
    )
    rss.extend(samples)
    paced_summary = run.scenario(paced)
    bench_paced = await asyncio.to_thread(
        pgbench.run,
        database_url,
        templates,
        clients=run.concurrency,
        seconds=max(3, int(run.seconds)),
        rate=bench.tps / 2,
    )
    ratio = closed.throughput / bench.tps if bench.tps else 0.0
    run.data["pgbench"] = {
        "statements_per_transaction": templates[0].count(";") - 2,
        "scripts": len(templates),
        "max": bench.__dict__,
        "half_rate": bench_paced.__dict__,
        "ours_max_rps": ours["throughput_rps"],
        "ratio_ours_to_pgbench": round(ratio, 3),
    }
    run.say(f"pgbench {bench.tps:.0f} tps p99 {bench.latency_ms['p99']} ms; ratio {ratio:.2f}")
    run.target("redeem throughput >= 50% of pgbench's", f"{ratio:.0%}", ratio >= 0.5)
    run.target(
        "redeem p99 <= 25 ms at half the maximum throughput",
        f"{paced_summary['p99_ms']} ms at {half:.0f}/s",
        paced_summary["p99_ms"] <= 25,
    )


def _start_profile(run: Run, pid: int) -> subprocess.Popen[bytes]:
    output = run.logs / "profile.txt"
    py_spy = str(Path(sys.executable).parent / "py-spy")
    seconds = str(int(run.seconds))
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--subprocesses",
            "-p",
            str(pid),
            "-d",
            seconds,
            "-r",
            "50",
            "-f",
            "raw",
            "-o",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _finish_profile(run: Run, process: subprocess.Popen[bytes]) -> list[str]:
    """Own samples per frame (the leaf of each collapsed stack), top 25."""
    process.wait(60)
    own: Counter[str] = Counter()
    total = 0
    path = run.logs / "profile.txt"
    if not path.exists():
        return ["(py-spy wrote nothing)"]
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        own[leaf] += int(count)
        total += int(count)
    return [f"{n / total:6.1%}  {frame}" for frame, n in own.most_common(25)] if total else []


async def _peer(
    run: Run, client: Client, w: world.World, rng: random.Random, database_url: str, pid: int
) -> None:
    peer = server.start_peer(database_url, run.logs / "postgraphile.log")
    try:
        document = """query($community: UUID!) {
          allGoods(first: 20, condition: {communityId: $community, active: true},
                   orderBy: NAME_ASC) {
            nodes { id name price stock lowStockAt pointKinds limitPerPerson limitPeriod active }
            pageInfo { hasNextPage endCursor }
          }
        }"""

        def theirs() -> driver.Request:
            person = rng.choice(w.residents)
            return document, {"community": str(city.community_id(person.community))}, ""

        async with Client(peer.url, run.concurrency * 2) as peer_client:
            for _ in range(20):
                await peer_client.call(theirs())
            result, _ = await driver.during(
                driver.closed_loop(
                    peer_client,
                    "PostGraphile catalog",
                    theirs,
                    concurrency=run.concurrency,
                    seconds=run.seconds,
                ),
                peer.pid,
            )
            their = run.scenario(result)
        result, _ = await driver.during(
            driver.closed_loop(
                client,
                "catalog (vs peer)",
                scenarios.catalog(w, rng),
                concurrency=run.concurrency,
                seconds=run.seconds,
            ),
            pid,
        )
        ours = run.scenario(result)
        ratio = ours["throughput_rps"] / their["throughput_rps"] if their["throughput_rps"] else 0
        run.data["peer"] = {
            "postgraphile": their,
            "ours": ours,
            "ratio_ours_to_postgraphile": round(ratio, 3),
            "note": "PostGraphile answers without authentication; ours resolves the bearer "
            "token (Redis) and the actor (1 SQL) on every request.",
        }
        run.target("catalog req/s >= PostGraphile's", f"{ratio:.2f}x", ratio >= 1.0)
    finally:
        peer.stop()


async def _storm(run: Run, client: Client, w: world.World, claimants: int, pid: int) -> None:
    """The same storm twice: all 500 at once, then 500 arriving over 5 s (100/s)."""
    burst, paced, _ = w.storms
    run.data["storm"] = {}
    for label, storm in (("all at once", burst), ("over 5 s", paced)):
        if run.args.smoke and storm is paced:
            continue  # the smoke keeps to the burst: the invariant is the same, seconds count
        requests = scenarios.storm(storm)
        if storm is burst:
            work = driver.burst(client, f"claim storm ({label})", requests)
        else:
            work = driver.constant_rate(
                client,
                f"claim storm ({label})",
                iter(requests).__next__,
                rate=claimants / 5,
                seconds=5,
            )
        result, _ = await driver.during(work, pid)
        summary = run.scenario(result)
        outcome = await world.storm_outcome(w, storm)
        run.data["storm"][label] = {
            "claimants": claimants,
            "places": world.STORM_PLACES,
            **outcome,
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
        }
        claimed = outcome.get("claimed", 0)
        run.target(
            f"claim storm {label}: {claimants} claimants, {world.STORM_PLACES} places: "
            "exactly 20 claims",
            f"{claimed} claimed, {outcome.get('waitlisted', 0)} waitlisted, "
            f"places_taken {outcome['places_taken']}",
            claimed == world.STORM_PLACES and outcome["places_taken"] == world.STORM_PLACES,
            hard=True,
        )
        run.target(
            f"claim storm {label}: p99 < 100 ms", f"{summary['p99_ms']} ms", summary["p99_ms"] < 100
        )


async def _key_queries(
    run: Run, client: Client, w: world.World, rng: random.Random, pid: int
) -> None:
    count = 20 if run.args.smoke else 200
    for label, make in (
        ("orders I can claim", scenarios.claimable(w, rng)),
        ("my ledger page", scenarios.my_ledger(w, rng)),
        ("catalog", scenarios.catalog(w, rng)),
        ("grid demand queue", scenarios.demand_queue(w, rng)),
        ("monthly statistics", scenarios.statistics(w, rng)),
        ("ranking", scenarios.ranking(w, rng)),
    ):
        requests = [make() for _ in range(count)]
        result, _ = await driver.during(
            driver.burst(client, f"key: {label}", requests, concurrency=1), pid
        )
        summary = run.scenario(result)
        run.target(f"{label}: p95 < 50 ms (one at a time)", f"{summary['p95_ms']} ms",
                   summary["p95_ms"] < 50)  # fmt: skip


async def _soak(
    run: Run,
    client: Client,
    w: world.World,
    meetings: dict[int, str],
    rng: random.Random,
    pid: int,
    rss: list[float],
) -> None:
    makers = [
        scenarios.catalog(w, rng),
        scenarios.my_ledger(w, rng),
        scenarios.agenda(w, rng, meetings),
        scenarios.redeem(w, rng),
    ]
    result, samples = await driver.during(
        driver.closed_loop(
            client,
            "soak (mixed)",
            lambda: rng.choice(makers)(),
            concurrency=run.concurrency,
            seconds=run.soak,
        ),
        pid,
        every=2.0,
    )
    run.scenario(result)
    rss.extend(samples)
    tenth = max(1, len(samples) // 10)
    start = sorted(samples[:tenth])[tenth // 2] if samples else 0.0
    end = max(samples[-tenth:]) if samples else 0.0
    growth = end / start - 1 if start else 0.0
    peak = max(rss, default=0.0)
    run.data["memory"] = {
        "peak_rss_mb": round(peak, 1),
        "soak_seconds": run.soak,
        "soak_start_rss_mb": round(start, 1),
        "soak_end_rss_mb": round(end, 1),
        "soak_growth": round(growth, 4),
        "samples": [round(s, 1) for s in samples],
    }
    run.target("API RSS under load < 250 MB", f"peak {peak:.0f} MB", peak < 250)
    run.target(
        f"RSS growth over the {run.soak:.0f} s soak < 10%",
        f"{growth:+.1%} ({start:.0f} -> {end:.0f} MB)",
        growth < 0.10,
    )


async def _ledger_check(run: Run, database_url: str, redis_url: str) -> None:
    from services.ledger.check import check

    inprocess = statements.InProcess(database_url, redis_url)
    try:
        async with inprocess.state.sessions() as session:
            problems = await check(session)
    finally:
        await inprocess.close()
    run.target(
        "ledger check after the run (balances = entries, kinds sum to 0)",
        "clean" if not problems else f"{len(problems)} problems: {problems[:3]}",
        not problems,
        hard=True,
    )


def main() -> None:
    run = Run(_arguments())
    asyncio.run(_main(run))
    if run.failures:
        print("\nFAILED:\n  " + "\n  ".join(run.failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
