"""The run's people and things, set up over GraphQL on the demo street, and the events.

Clients are demo residents (phones ``139…``, roles resident and maybe party member: no staff
scope, so each hears only its community's feeds and its own), several tabs per person as a
browser shares one token between its tabs. The first 30 residents of each community carry the
demo history and are left out; one of them is the probe's ordinary user.

Per community the admin creates a warm-up goods (its stock change proves every socket is live
before the events count), a goods for the run, a draft community order and a draft order for one
grid, and awards points to the residents who will act. The events (:func:`round_of`) are
mutations a person makes through the web app: the admin restocks (``stockChanged`` to the whole
community), publishes the orders (``orderPublished`` to the community, or to one grid), and
residents claim (``myClaimChanged``), redeem (``myRedemptionChanged`` and ``stockChanged``) and
report a demand (``demandChanged``). Each answer's time is recorded per object for latencies.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api import seed
from bench.subs.clients import local_id

PASSWORD = "gridpoints2026"  # noqa: S105 - the demo's shared password (README, demo logins)
RESIDENTS = ((1, 210), (211, 420), (421, 600))  # demo resident numbers per community
HISTORY = 30  # the first residents of each community carry the demo history

ME = """{ me { id community { id } household { grid { id } } roles { role } } }"""
SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }"
M = {
    "goodsCreate": "mutation($i: GoodsCreateInput!) { goodsCreate(input: $i) "
    "{ goods { id } errors { code field } } }",
    "orderCreate": "mutation($i: OrderCreateInput!) { orderCreate(input: $i) "
    "{ order { id } errors { code field } } }",
    "orderPublish": "mutation($i: OrderInput!) { orderPublish(input: $i) "
    "{ order { id } errors { code field } } }",
    "ledgerAdjust": "mutation($i: LedgerAdjustInput!) { ledgerAdjust(input: $i) "
    "{ transfer { id } errors { code field } } }",
    "stockAdjust": "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) "
    "{ goods { id stock } errors { code field } } }",
    "orderClaim": "mutation($i: OrderClaimInput!) { orderClaim(input: $i) "
    "{ claim { id state } errors { code field } } }",
    "redemptionCheckout": "mutation($i: RedemptionCheckoutInput!) { redemptionCheckout(input: $i) "
    "{ redemption { id } errors { code field } } }",
    "demandReport": "mutation($i: DemandReportInput!) { demandReport(input: $i) "
    "{ demand { id } errors { code field } } }",
}
CATEGORIES = "query($c: ID!) { demandCategories(communityId: $c) { id } }"


class Refused(RuntimeError):
    """A setup step or an event's mutation was not done (a typed error or no answer)."""


@dataclass
class Person:
    phone: str
    token: str
    person_id: str  # uuid, as the outbox names it
    community: str  # global id
    community_id: str  # uuid
    grid_id: str | None  # uuid of the household's grid


@dataclass
class Community:
    admin: str  # token
    id: str  # global id
    uuid: str
    warm_goods: str = ""  # global ids
    goods: str = ""
    orders: list[str] = field(default_factory=list)
    category: str = ""
    actors: list[Person] = field(default_factory=list)


@dataclass
class Answers:
    """When each mutation was answered, per (subscription field, object uuid)."""

    at: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: int = 0
    refused: list[str] = field(default_factory=list)

    def add(self, name: str, global_id: str, when: float) -> None:
        self.at[(name, local_id(global_id))].append(when)


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=60
    )
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise Refused(f"{answer.status_code} {str(body)[:300]}")
    data: dict[str, Any] = body["data"]
    return data


async def mutate(
    client: httpx.AsyncClient, name: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(client, M[name], {"i": variables}, token))[name]
    if payload.get("errors"):
        raise Refused(f"{name}: {payload['errors']}")
    return payload


async def sign_in(client: httpx.AsyncClient, phone: str) -> str:
    data = await gql(client, SIGN_IN, {"i": {"phone": phone, "password": PASSWORD}})
    token = data["signIn"]["token"]
    if not token:
        raise Refused(f"sign-in {phone}: {data['signIn']['errors']}")
    return str(token)


async def person(client: httpx.AsyncClient, phone: str) -> Person:
    token = await sign_in(client, phone)
    me = (await gql(client, ME, {}, token))["me"]
    roles = {r["role"] for r in me["roles"]}
    if not roles <= {"RESIDENT", "PARTY_MEMBER"}:
        raise Refused(f"{phone} is staff ({roles}): their feeds would differ")
    grid = ((me.get("household") or {}).get("grid") or {}).get("id")
    return Person(
        phone,
        token,
        local_id(me["id"]),
        me["community"]["id"],
        local_id(me["community"]["id"]),
        local_id(grid) if grid else None,
    )


def client_phones(people: int) -> list[str]:
    """``people`` demo residents spread evenly over the three communities (history left out)."""
    pools = [list(range(first + HISTORY, last + 1)) for first, last in RESIDENTS]
    if people > sum(len(p) for p in pools):
        raise SystemExit(f"the demo has {sum(len(p) for p in pools)} residents for clients")
    chosen: list[int] = []
    while len(chosen) < people:
        for pool in pools:
            if pool and len(chosen) < people:
                chosen.append(pool.pop(0))
    return [seed.resident_phone(n) for n in sorted(chosen)]


async def _each(limit: int, jobs: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def build(
    client: httpx.AsyncClient, people: int, actors_per_round: int, rounds: int
) -> tuple[list[Person], list[Community], str]:
    """Sign everyone in; per community: goods, draft orders, points for the actors.
    Returns the client people, the communities and the probe's token."""
    persons: list[Person] = await _each(8, [person(client, p) for p in client_phones(people)])
    probe = await sign_in(client, seed.resident_phone(5))
    now = datetime.now(UTC)
    communities = []
    for n in range(1, len(RESIDENTS) + 1):
        admin = await sign_in(client, seed.community_admin_phone(n))
        me = (await gql(client, ME, {}, admin))["me"]
        c = Community(admin=admin, id=me["community"]["id"], uuid=local_id(me["community"]["id"]))
        members = [p for p in persons if p.community_id == c.uuid]
        c.actors = members[: actors_per_round * rounds]
        goods = []
        for name, stock in (("订阅压测 预热", 100_000), ("订阅压测 毛巾", 100_000)):
            draft = {"name": name, "price": 1, "pointKinds": ["GRID"]}
            made = await mutate(
                client, "goodsCreate", {"communityId": c.id, "goods": draft, "stock": stock}, admin
            )
            goods.append(made["goods"]["id"])
        c.warm_goods, c.goods = goods
        grid = next((p.grid_id for p in members if p.grid_id), None)
        grid_gid = _gid("OrgUnit", grid) if grid else None
        for title, unit in (("订阅压测 社区服务", c.id), ("订阅压测 网格服务", grid_gid)):
            if unit is None:
                continue
            starts = now + timedelta(days=3)
            draft = {
                "unitId": unit,
                "title": title,
                "content": title,
                "category": "压测",
                "location": "社区党群服务中心",
                "startsAt": starts.isoformat(),
                "endsAt": (starts + timedelta(hours=2)).isoformat(),
                "claimDeadline": (starts - timedelta(days=1)).isoformat(),
                "places": 1000,
                "points": 5,
                "pointKind": "GRID",
            }
            c.orders.append((await mutate(client, "orderCreate", draft, admin))["order"]["id"])
        c.category = (await gql(client, CATEGORIES, {"c": c.id}, admin))["demandCategories"][0][
            "id"
        ]
        await _each(
            4,
            [
                mutate(
                    client,
                    "ledgerAdjust",
                    {
                        "personId": _gid("Person", a.person_id),
                        "pointKind": "GRID",
                        "amount": 50,
                        "reason": "订阅压测",
                        "idempotencyKey": f"subs-award-{a.person_id}",
                    },
                    admin,
                )
                for a in c.actors
            ],
        )
        communities.append(c)
    return persons, communities, probe


def _gid(type_name: str, local: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local}".encode()).decode().rstrip("=")


async def timed(
    client: httpx.AsyncClient,
    answers: Answers,
    name: str,
    variables: dict[str, Any],
    token: str,
    heard: list[tuple[str, str]],
) -> None:
    """One event's mutation; ``heard``: (subscription field, payload path) its answer names."""
    answers.sent += 1
    try:
        payload = await mutate(client, name, variables, token)
    except (Refused, httpx.HTTPError, ValueError) as error:
        answers.refused.append(f"{name}: {error}"[:300])
        return
    when = time.time()
    for field_name, path in heard:  # "=ID": that object itself (a checkout's goods)
        obj: Any = path[1:] if path.startswith("=") else payload
        for key in [] if path.startswith("=") else path.split("."):
            obj = obj[key]
        answers.add(field_name, str(obj), when)


async def round_of(
    client: httpx.AsyncClient, c: Community, n: int, per_round: int, answers: Answers
) -> None:
    """Round ``n`` in community ``c``: round 0 publishes the orders; every round restocks; from
    round 1 on, ``per_round`` residents each claim, redeem and report a demand."""
    jobs = [
        timed(
            client,
            answers,
            "stockAdjust",
            {"goodsId": c.goods, "delta": 1, "reason": f"订阅压测 第{n}轮"},
            c.admin,
            [("stockChanged", "goods.id")],
        )
    ]
    if n == 0:
        jobs += [
            timed(
                client,
                answers,
                "orderPublish",
                {"id": order},
                c.admin,
                [("orderPublished", "order.id")],
            )
            for order in c.orders
        ]
    else:
        for actor in c.actors[(n - 1) * per_round : n * per_round]:
            jobs.append(
                timed(
                    client,
                    answers,
                    "orderClaim",
                    {"orderId": c.orders[0]},
                    actor.token,
                    [("myClaimChanged", "claim.id")],
                )
            )
            jobs.append(
                timed(
                    client,
                    answers,
                    "redemptionCheckout",
                    {
                        "pointKind": "GRID",
                        "goods": [{"goodsId": c.goods, "quantity": 1}],
                        "idempotencyKey": str(uuid.uuid4()),
                    },
                    actor.token,
                    [("myRedemptionChanged", "redemption.id"), ("stockChanged", "=" + c.goods)],
                )
            )
            jobs.append(
                timed(
                    client,
                    answers,
                    "demandReport",
                    {
                        "type": "HELP",
                        "categoryId": c.category,
                        "description": f"订阅压测：楼道灯坏了（第{n}轮）",
                    },
                    actor.token,
                    [("demandChanged", "demand.id")],
                )
            )
    await asyncio.gather(*jobs)
