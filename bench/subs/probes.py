"""Probes, in a process of their own (the 2,000 sockets' process must not delay them):
``/readyz`` every 0.5 s, and ordinary queries of one resident at a fixed rate (open loop: each
is sent on schedule, whether or not the last one answered). Each sample is
(kind, sent at wall-clock time, seconds to answer, status); the parent cuts them into phases."""

from __future__ import annotations

import asyncio
import time
from multiprocessing.connection import Connection
from typing import Any

import httpx

# The web app's own documents (web/src/graphql: auth Me, exchange Goods, ledger MyLedger).
ME = """query Me { me {
  id name phone isPartyMember partyBranch maskedName
  community { id name code }
  household { id address grid { id name code } community { id name }
    members { id name maskedName isPartyMember } centerHousehold { name phone } }
  roles { id role seatType unit { id name code kind community { id name code } } } } }"""
GOODS = """fragment GoodsFields on Goods {
  id name description pictureUrl price pointKinds stock lowStockAt limitPerPerson limitPeriod
  active inStock }
query Goods($communityId: ID, $inStock: Boolean!, $first: Int!, $after: String) {
  goods(communityId: $communityId, inStock: $inStock, first: $first, after: $after) {
    nodes { ...GoodsFields } pageInfo { hasNextPage endCursor } } }"""
LEDGER = """query MyLedger($first: Int!, $after: String) { myLedger {
    balances { pointKind posted heldOut heldIn available }
    entries(first: $first, after: $after) {
      nodes { id kind pointKind amount direction cause reason createdAt bookedOn }
      pageInfo { hasNextPage endCursor } } }
  volunteerRecord { totalHours stars nextStarHours } }"""
QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("me", ME, {}),
    ("goods", GOODS, {"inStock": False, "first": 20}),
    ("myLedger", LEDGER, {"first": 20}),
]

Sample = tuple[str, float, float, int]  # kind, sent (epoch s), took (s), status (0: no answer)


async def _readyz(client: httpx.AsyncClient, samples: list[Sample]) -> None:
    sent, began = time.time(), time.monotonic()
    try:
        answer = await client.get("/readyz", timeout=5)
        status = answer.status_code
    except httpx.HTTPError:
        status = 0
    samples.append(("readyz", sent, time.monotonic() - began, status))


async def _query(client: httpx.AsyncClient, token: str, which: int, samples: list[Sample]) -> None:
    kind, query, variables = QUERIES[which % len(QUERIES)]
    sent, began = time.time(), time.monotonic()
    try:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = answer.json()
        ok = answer.status_code == 200 and not body.get("errors") and body.get("data")
        status = answer.status_code if ok else 599  # 599: answered, but with errors
    except (httpx.HTTPError, ValueError):
        status = 0
    samples.append((kind, sent, time.monotonic() - began, status))


async def _run(url: str, token: str, rate: float, control: Connection) -> list[Sample]:
    samples: list[Sample] = []
    pending: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        start = time.monotonic()
        n_ready = n_query = 0
        while not control.poll():
            now = time.monotonic() - start
            if now >= n_ready * 0.5:
                n_ready += 1
                task = asyncio.create_task(_readyz(client, samples))
            elif now >= n_query / rate:
                n_query += 1
                task = asyncio.create_task(_query(client, token, n_query, samples))
            else:
                await asyncio.sleep(min(n_ready * 0.5, n_query / rate) - now)
                continue
            pending.add(task)
            task.add_done_callback(pending.discard)
        control.recv()
        await asyncio.gather(*pending, return_exceptions=True)
    return samples


def main(url: str, token: str, rate: float, control: Connection) -> None:
    try:
        import uvloop

        samples = uvloop.run(_run(url, token, rate, control))
    except ImportError:  # pragma: no cover
        samples = asyncio.run(_run(url, token, rate, control))
    control.send(samples)
