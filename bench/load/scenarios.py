"""The GraphQL documents of the scenarios and a request maker for each."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime

from bench.load.driver import Request
from bench.load.world import Actor, Storm, World

REDEEM = """mutation($input: RedemptionCheckoutInput!) {
  redemptionCheckout(input: $input) {
    redemption { id pickupCode total state }
    errors { code message }
  }
}"""

CLAIM = """mutation($orderId: ID!) {
  orderClaim(input: {orderId: $orderId}) { claim { id state waitlistPosition } errors { code } }
}"""

CATALOG = """query($n: Int!) {
  goods(first: $n) {
    nodes { id name price stock inStock lowStockAt pointKinds limitPerPerson limitPeriod active }
    pageInfo { hasNextPage endCursor }
  }
}"""

MY_LEDGER = """query($n: Int!) {
  myLedger {
    balances { pointKind posted heldOut heldIn available }
    entries(first: $n) {
      nodes { id kind pointKind amount direction cause reason createdAt bookedOn }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

AGENDA = """query($id: ID!) {
  node(id: $id) {
    ... on JointMeeting {
      title state quorum presentCount
      members { name seatType present }
      agenda {
        id position proposal points outcome
        claim { id attendance minutes person { name } order { title points } }
        votes { choice voterName }
        tally { for against abstain passed }
      }
    }
  }
}"""

CLAIMABLE = """query {
  orders(claimable: true, first: 20) { nodes { id title startsAt places placesTaken } }
}"""

DEMAND_QUEUE = """query($unit: ID!) {
  demandQueue(unitId: $unit, first: 20) {
    nodes { id type urgency status level stageStartedAt respondDueAt category { name } }
  }
}"""

STATISTICS = """query($community: ID!, $year: Int!) {
  pointsStatistics(communityId: $community, year: $year) { month pointKind earned spent }
}"""

RANKING = """query($community: ID!) {
  ranking(communityId: $community, first: 20) { year frozen entries { rank maskedName points } }
}"""


def redeem(world: World, rng: random.Random) -> Callable[[], Request]:
    return lambda: redeem_as(world, rng, rng.choice(world.residents))


def redeem_as(world: World, rng: random.Random, person: Actor) -> Request:
    """One goods of the person's community, paid in a random kind, a fresh idempotency key."""
    goods = world.goods(person.community, rng.randrange(20))
    variables = {
        "input": {
            "pointKind": "WORK" if rng.random() < 0.5 else "GRID",
            "goods": [{"goodsId": goods, "quantity": 1}],
            "idempotencyKey": uuid.uuid4().hex,
        }
    }
    return REDEEM, variables, person.token


def catalog(world: World, rng: random.Random, n: int = 20) -> Callable[[], Request]:
    return lambda: (CATALOG, {"n": n}, rng.choice(world.residents).token)


def my_ledger(world: World, rng: random.Random, n: int = 20) -> Callable[[], Request]:
    return lambda: (MY_LEDGER, {"n": n}, rng.choice(world.residents).token)


def agenda(world: World, rng: random.Random, meetings: dict[int, str]) -> Callable[[], Request]:
    def make() -> Request:
        admin = rng.choice([a for a in world.admins if a.community in meetings])
        return AGENDA, {"id": meetings[admin.community]}, admin.token

    return make


def claimable(world: World, rng: random.Random) -> Callable[[], Request]:
    return lambda: (CLAIMABLE, {}, rng.choice(world.residents).token)


def demand_queue(world: World, rng: random.Random) -> Callable[[], Request]:
    def make() -> Request:
        worker = rng.choice(world.workers)
        grid = world.workers.index(worker)
        return DEMAND_QUEUE, {"unit": world.grid(grid)}, worker.token

    return make


def statistics(world: World, rng: random.Random) -> Callable[[], Request]:
    year = datetime.now().year

    def make() -> Request:
        admin = rng.choice(world.admins)
        return (
            STATISTICS,
            {"community": world.community(admin.community), "year": year},
            admin.token,
        )

    return make


def ranking(world: World, rng: random.Random) -> Callable[[], Request]:
    def make() -> Request:
        person = rng.choice(world.residents)
        return RANKING, {"community": world.community(person.community)}, person.token

    return make


def storm(storm: Storm) -> list[Request]:
    return [(CLAIM, {"orderId": storm.order}, a.token) for a in storm.claimants]
