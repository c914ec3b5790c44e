"""``python -m bench.fuzz``: schemathesis against the GraphQL endpoint, then hostile queries.

Starts its own PostgreSQL, Redis and two API processes (background worker off) in a temporary
folder, seeds the demo street, signs in as several roles and sends at least ``--operations``
generated operations (every query and mutation field, positive and negative generation, as each
role and anonymously; ``ID`` arguments drawn from the seeded data's real IDs most of the time).
Then the hostile queries (:mod:`bench.fuzz.hostile`). Exit 0 only with no server error, no
masked internal error, no leak, every hostile query refused under the limit and no SQL run.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import httpx

from bench.chaos import report as chaos_report
from bench.chaos.servers import ROOT, Api, Postgres, Redis, api_env, cli
from bench.fuzz import edge_routes, edge_run, edges, generate, hostile, report
from bench.fuzz.generate import EXCLUDED_FOR_SIGNED_IN, JobResult, Setup

ROLES = {  # role -> demo phone (README's demo logins)
    "resident": "13900000001",
    "grid_worker": "13810000001",
    "community_admin": "13800000011",
    "department_staff": "13830000001",
    "street_admin": "13800000001",
}
ID_TABLES = {
    "OrgUnit": "org_unit",
    "Person": "person",
    "Household": "household",
    "VolunteerOrder": "volunteer_order",
    "Claim": "order_claim",
    "JointMeeting": "joint_meeting",
    "AgendaItem": "agenda_item",
    "Grant": "point_grant",
    "LedgerTransfer": "ledger_transfer",
    "Goods": "goods",
    "Venue": "venue",
    "Service": "service",
    "ServiceSession": "service_session",
    "Redemption": "redemption",
    "RoleAssignment": "role_assignment",
    "Demand": "demand",
    "DemandCategory": "demand_category",
}


def _sign_in(url: str, phone: str) -> str:
    query = "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }"
    variables = {"i": {"phone": phone, "password": "gridpoints2026"}}
    answer = httpx.post(url + "/graphql", json={"query": query, "variables": variables}).json()
    token = answer["data"]["signIn"]["token"]
    assert isinstance(token, str), answer
    return token


def _real_ids(postgres: Postgres) -> list[str]:
    ids: list[str] = []
    for type_name, table in ID_TABLES.items():
        exists = postgres.sql(f"SELECT to_regclass('{table}') IS NOT NULL")
        if exists != "t":  # a table of a newer or older schema
            continue
        rows = postgres.sql(f"SELECT id FROM {table} ORDER BY random() LIMIT 12")  # noqa: S608
        ids += [generate.gid(type_name, row) for row in rows.split()]
    return ids


def _jobs(
    labels: list[str], roles: list[str], target: int, rng: random.Random
) -> list[tuple[str, str, str, int]]:
    """(field, role, generation mode, examples): every combination, or for a small target
    every field once (as a random role) and random combinations for the rest."""
    pairs = [
        (label, role, mode)
        for label in labels
        for role in roles
        for mode in ("positive", "negative")
        if not (role != "anonymous" and label in EXCLUDED_FOR_SIGNED_IN)
    ]
    rng.shuffle(pairs)
    if target < len(pairs):
        first = {label: (label, role, mode) for label, role, mode in reversed(pairs)}
        rest = [p for p in pairs if p not in first.values()]
        pairs = [*first.values(), *rest][: max(target, len(first))]
    each = max(1, math.ceil(1.25 * target / len(pairs)))  # some spaces run dry early
    return [(label, role, mode, each) for label, role, mode in pairs]


def _fuzz(setup: Setup, target: int, workers: int, base_seed: int) -> list[JobResult]:
    generate.init(setup)
    labels = generate.labels()
    jobs = _jobs(labels, ["anonymous", *ROLES], target, random.Random(base_seed))
    results: list[JobResult] = []
    sent = 0
    with ProcessPoolExecutor(workers, initializer=generate.init, initargs=(setup,)) as pool:
        futures = [
            pool.submit(generate.run_job, *job, base_seed * 100_003 + n)
            for n, job in enumerate(jobs)
        ]
        for done in as_completed(futures):
            result = done.result()
            results.append(result)
            sent += result.sent
            if len(results) % 100 == 0:
                print(f"  {len(results)}/{len(jobs)} jobs, {sent} operations", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--operations", type=int, default=20_000, help="generated operations")
    parser.add_argument("--workers", type=int, default=3, help="generating processes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-bin", default=None, help="PostgreSQL bin folder (default: embedded)")
    parser.add_argument(
        "--report", default=None, help="report path prefix (default: bench/reports/fuzz[-smoke])"
    )
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    parser.add_argument("--notes", default=None, help="markdown file appended to the report")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: 300 operations, report fuzz-smoke, hostile timings relative to { __typename }",
    )
    parser.add_argument(
        "--edges-only",
        action="store_true",
        help="only the edge-input phase (bench/fuzz/edges.py): no schemathesis, no hostile queries",
    )
    args = parser.parse_args()
    if args.smoke:
        args.operations = 300
    if args.report is None:
        name = "fuzz-smoke" if args.smoke else "fuzz"
        args.report = str(ROOT / "bench" / "reports" / name)
    sys.exit(run(args))


def run(args: argparse.Namespace) -> int:
    base = Path(tempfile.mkdtemp(prefix="gridpoints-fuzz-"))
    postgres = Postgres(base / "pg", pg_bin=args.pg_bin)
    redis = Redis(base / "redis")
    apis: list[Api] = []
    try:
        print(f"fuzz: servers under {base}", flush=True)
        postgres.init()
        redis.start()
        env = api_env(
            postgres.url,
            redis.url,
            base / "data",
            GRIDPOINTS_WORKER_INTERVAL="0",
            GRIDPOINTS_JOBS_CONCURRENCY="0",
        )
        seeded = cli(env, "seed", "demo")
        if seeded.returncode:
            print(seeded.stdout, seeded.stderr, file=sys.stderr)
            return 2
        apis = [Api(f"api{n}", env, base) for n in (1, 2)]
        for api in apis:
            api.start(wait=False)
        for api in apis:
            api.wait_ready()
        tokens: dict[str, str | None] = {"anonymous": None}
        tokens |= {role: _sign_in(apis[0].url, phone) for role, phone in ROLES.items()}
        setup = Setup(urls=[a.url for a in apis], tokens=tokens, ids=_real_ids(postgres))
        results: list[JobResult] = []
        hostile_result: dict[str, Any] | None = None
        fuzz_seconds = 0.0
        if not args.edges_only:
            started = time.monotonic()
            print(f"fuzz: {args.operations} operations, {len(ROLES) + 1} roles", flush=True)
            results = _fuzz(setup, args.operations, args.workers, args.seed)
            fuzz_seconds = time.monotonic() - started
            print("fuzz: hostile queries", flush=True)
            resident = tokens["resident"]
            assert resident is not None
            hostile_result = hostile.run(
                postgres, apis[0].url + "/graphql", resident, relative=args.smoke
            )
        print("fuzz: edge input (issue 13, item 6)", flush=True)
        edge_result = _edges(postgres, redis, apis, tokens, base, smoke=args.smoke)
        print(report.edge_line(edge_result), flush=True)
        summary = _summary(args, results, fuzz_seconds, hostile_result, len(setup.ids))
        summary["edges"] = edge_result
        summary["passed"] = summary["passed"] and edge_result["passed"]
        chaos_report.write_files(Path(args.report), summary, report.markdown(summary, args.notes))
        print(report.line(summary), flush=True)
        return 0 if summary["passed"] else 1
    finally:
        for api in apis:
            api.kill()
        redis.kill()
        postgres.stop("immediate")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def _id_pool(postgres: Postgres) -> edges.IdPool:
    """Real IDs for the edge cases' other arguments: the first community of the demo street,
    its first grid, a department; any seeded row of the type an argument's name says."""
    by_type: dict[str, list[str]] = {}
    tables = {**ID_TABLES, "Wish": "wish", "VolunteerCertificate": "volunteer_certificate"}
    for type_name, table in tables.items():
        if postgres.sql(f"SELECT to_regclass('{table}') IS NOT NULL") != "t":
            continue
        rows = postgres.sql(f"SELECT id FROM {table} ORDER BY id LIMIT 5")  # noqa: S608
        by_type[type_name] = [generate.gid(type_name, row) for row in rows.split()]

    def unit(where: str) -> str:
        row = postgres.sql(f"SELECT id FROM org_unit WHERE {where} ORDER BY code LIMIT 1")  # noqa: S608
        return generate.gid("OrgUnit", row)

    community = unit("code = 'DX-C1'")
    grid = unit("kind = 'grid' AND code LIKE 'DX-C1%'")
    names = {"communityId": community, "unitId": community, "parentId": community}
    department = unit("kind = 'department'")
    names |= {"gridId": grid, "departmentId": department, "leadDepartmentId": department}
    names |= {"scorerUnitId": community, "scoredUnitId": department}
    return edges.IdPool(by_name=names, by_type=by_type)


def _app_routes(postgres: Postgres, redis: Redis) -> list[edge_routes.RouteInfo]:
    """The route table of the app the API processes serve (built, never started)."""
    from api.app import create_app
    from api.embedded import normalize_database_url
    from api.settings import Settings

    app = create_app(
        Settings(), database_url=normalize_database_url(postgres.url), redis_url=redis.url
    )
    return edge_routes.routes(app.routes)


def _edges(
    postgres: Postgres,
    redis: Redis,
    apis: list[Api],
    tokens: dict[str, str | None],
    base: Path,
    *,
    smoke: bool,
) -> dict[str, Any]:
    started = time.monotonic()
    introspection = httpx.post(
        apis[0].url + "/graphql", json={"query": edges.INTROSPECTION}, timeout=30
    ).json()
    pool = _id_pool(postgres)
    field_cases = edges.cases(introspection, pool, deep_shapes=1 if smoke else 3)
    found = _app_routes(postgres, redis)
    samples = {
        "code": "DX-C1",
        "unit_code": "DX-C1",
        "name": "2026-05.csv",
        "photo_id": "00000000-0000-0000-0000-000000000000",
        "certificate_id": generate.gid("VolunteerCertificate", "1"),
    }
    certificates = pool.by_type.get("VolunteerCertificate")
    if certificates:
        samples["certificate_id"] = certificates[0]
    route_cases = [
        *edge_routes.body_cases(),
        *edge_routes.path_cases(found, samples),
        *edge_routes.month_route_cases(found, samples),
    ]
    pairs = edge_run.plan(field_cases, route_cases, smoke=smoke)
    print(f"  {len(pairs)} HTTP cases, {len(edge_routes.WS_SCRIPTS)} socket scripts", flush=True)
    logs = sorted(base.glob("api*.log"))
    offsets = edge_run.log_offsets(logs)
    tally = edge_run.Tally()
    asyncio.run(edge_run.send_http([a.url for a in apis], tokens, pairs, tally))
    resident = tokens["resident"]
    assert resident is not None
    replays = edge_run.ws_replays(field_cases, smoke=smoke)
    asyncio.run(edge_run.send_ws(apis[0].url, resident, tally, replays))
    time.sleep(0.5)  # the last records reach the logs
    problems = edge_run.log_problems(offsets)
    fields = len({c.target for c in field_cases})
    return edge_run.summary(tally, problems, time.monotonic() - started, fields, len(found))


def _summary(
    args: argparse.Namespace,
    results: list[JobResult],
    seconds: float,
    hostile_result: dict[str, Any] | None,
    real_ids: int,
) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    by_role: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    for r in results:
        statuses.update(r.statuses)
        by_role[r.role] += r.sent
        by_mode[r.mode] += r.sent
    operations = sum(r.sent for r in results)
    failures = [
        {"operation": r.label, "role": r.role, "mode": r.mode, **f}
        for r in results
        for f in r.failures
    ]
    server_errors = sum(r.server_errors for r in results)
    internal = sum(r.internal for r in results)
    leaks = sum(r.leaks for r in results)
    passed = server_errors == internal == leaks == 0 and (
        args.edges_only
        or (
            operations >= args.operations
            and hostile_result is not None
            and hostile_result["all_refused"]
            and hostile_result["all_under_limit"]
            and hostile_result["statements_logged_during_hostile_queries"] == 0
        )
    )
    return {
        "command": " ".join(["python -m bench.fuzz", *sys.argv[1:]]),
        "machine": chaos_report.machine(),
        "operations": operations,
        "target": args.operations,
        "fields_fuzzed": len({r.label for r in results}),
        "by_role": dict(by_role),
        "by_mode": dict(by_mode),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "answers_with_errors": sum(r.typed_or_graphql_errors for r in results),
        "server_errors_5xx": server_errors,
        "internal_errors": internal,
        "leaks": leaks,
        "failures": failures[:50],
        "seconds": round(seconds, 1),
        "operations_per_second": round(operations / seconds, 1) if seconds else 0,
        "real_ids_in_pool": real_ids,
        "hostile": hostile_result,
        "passed": passed,
    }


if __name__ == "__main__":
    main()
