"""The clients: residents, a community admin and a joint meeting, over real HTTP, recorded.

Every request and its answer goes to the history (JSON lines). An answer is

* ``ok``: HTTP 200, no top-level error and an empty ``errors`` list in the payload: acknowledged;
* ``typed``: the payload's typed errors: a definite refusal, nothing was done;
* ``error``: top-level errors or a non-200 status: indeterminate (it may or may not have happened);
* ``fail``: no answer at all (connection refused or reset, timeout): indeterminate.

An indeterminate mutation that took an idempotency key is retried with the same key (on the other
API process, which is probably alive); some acknowledged ones are sent again with the same key (the
first answer must come back) or with the same key and another input (``IDEMPOTENCY_KEY_REUSED``).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.chaos.world import World

PASSWORD = "gridpoints2026"  # noqa: S105 (the demo password)
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
DOWN: dict[int, float] = {}  # port -> until when it is left alone

Q_SIGN_IN = "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }"
Q_CHECKOUT = """mutation($i: RedemptionCheckoutInput!) { redemptionCheckout(input: $i) {
  redemption { id state pickupCode total } errors { code field } } }"""
Q_CANCEL = """mutation($i: RedemptionCancelInput!) { redemptionCancel(input: $i) {
  redemption { id state } errors { code } } }"""
Q_FULFIL = """mutation($i: RedemptionFulfilInput!) { redemptionFulfil(input: $i) {
  redemption { id state } errors { code } } }"""
Q_CLAIM = """mutation($i: OrderClaimInput!) { orderClaim(input: $i) {
  claim { id state } errors { code } } }"""
Q_WITHDRAW = (
    "mutation($i: ClaimInput!) { claimWithdraw(input: $i) { claim { id state } errors { code } } }"
)
Q_CHECK_IN = """mutation($i: ClaimInput!) { claimCheckIn(input: $i) {
  claim { id checkedInAt } errors { code } } }"""
Q_CHECK_OUT = """mutation($i: ClaimInput!) { claimCheckOut(input: $i) {
  claim { id checkedOutAt } errors { code } } }"""
Q_CONFIRM = """mutation($i: AttendanceConfirmInput!) { attendanceConfirm(input: $i) {
  claim { id attendance } errors { code } } }"""
Q_ADJUST = """mutation($i: LedgerAdjustInput!) { ledgerAdjust(input: $i) {
  transfer { id amount } errors { code } } }"""
Q_CONVENE = """mutation($i: MeetingConveneInput!) { meetingConvene(input: $i) {
  meeting { id agenda { id } } errors { code } } }"""
Q_ATTEND = (
    "mutation($i: MeetingInput!) { meetingAttend(input: $i) { meeting { id } errors { code } } }"
)
Q_VOTE = (
    "mutation($i: MeetingVoteInput!) { meetingVote(input: $i) { item { id } errors { code } } }"
)
Q_CLOSE = """mutation($i: MeetingInput!) { meetingClose(input: $i) {
  meeting { id state } errors { code } } }"""
Q_LEDGER = "{ myLedger { balances { pointKind available posted heldOut } } }"

FIELD = {
    Q_SIGN_IN: "signIn",
    Q_CHECKOUT: "redemptionCheckout",
    Q_CANCEL: "redemptionCancel",
    Q_FULFIL: "redemptionFulfil",
    Q_CLAIM: "orderClaim",
    Q_WITHDRAW: "claimWithdraw",
    Q_CHECK_IN: "claimCheckIn",
    Q_CHECK_OUT: "claimCheckOut",
    Q_CONFIRM: "attendanceConfirm",
    Q_ADJUST: "ledgerAdjust",
    Q_CONVENE: "meetingConvene",
    Q_ATTEND: "meetingAttend",
    Q_VOTE: "meetingVote",
    Q_CLOSE: "meetingClose",
    Q_LEDGER: "myLedger",
}


@dataclass
class Record:
    """One request and its answer, as written to the history."""

    seq: int
    actor: str
    op: str
    variables: dict[str, Any]
    port: int
    started: float
    ended: float = 0.0
    status: int | None = None
    outcome: str = "fail"
    body: Any = None
    failure: str | None = None
    retry_of: int | None = None

    @property
    def payload(self) -> dict[str, Any]:
        data = (self.body or {}).get("data") or {}
        found = data.get(self.op) if isinstance(data, dict) else None
        return found if isinstance(found, dict) else {}

    @property
    def error_codes(self) -> list[str]:
        return [str(e.get("code")) for e in self.payload.get("errors") or []]


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[Record] = []
        self._file = path.open("w", encoding="utf-8")
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, record: Record) -> None:
        self.records.append(record)
        self._file.write(json.dumps(record.__dict__, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        self._file.close()


@dataclass
class Shared:
    """What the clients tell each other: redemptions to pick up, claims to confirm."""

    pickups: list[str] = field(default_factory=list)  # pickup codes of acknowledged checkouts
    checked_out: list[str] = field(default_factory=list)  # claim ids checked out
    stop_at: float = 0.0

    def running(self) -> bool:
        return time.monotonic() < self.stop_at


class Client:
    """One signed-in person talking to either API process."""

    def __init__(
        self, phone: str, ports: list[int], history: History, http: httpx.AsyncClient
    ) -> None:
        self.phone = phone
        self.ports = ports
        self.history = history
        self.http = http
        self.token: str | None = None
        self.last_port = random.choice(ports)

    def _port(self, avoid_last: bool) -> int:
        """Like a load balancer with health checks: a process that refused a connection a
        moment ago is left alone for a second."""
        live = [p for p in self.ports if DOWN.get(p, 0.0) < time.monotonic()] or self.ports
        if avoid_last and len(live) > 1:
            return next(p for p in live if p != self.last_port)
        return random.choice(live)

    async def _send(
        self, query: str, variables: dict[str, Any], retry_of: int | None, other: bool
    ) -> Record:
        op = FIELD[query]
        port = self._port(other)
        self.last_port = port
        record = Record(
            seq=self.history.next_seq(),
            actor=self.phone,
            op=op,
            variables=variables,
            port=port,
            started=time.time(),
            retry_of=retry_of,
        )
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            answer = await self.http.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": query, "variables": variables},
                headers=headers,
            )
            record.status = answer.status_code
            try:
                record.body = answer.json()
            except ValueError:
                record.body = {"text": answer.text[:2000]}
            record.outcome = _outcome(record)
        except httpx.HTTPError as error:
            record.failure = type(error).__name__
            record.outcome = "fail"
            if isinstance(error, httpx.ConnectError):
                DOWN[port] = time.monotonic() + 1.0
                await asyncio.sleep(0.1)
        record.ended = time.time()
        self.history.add(record)
        return record

    async def sign_in(self) -> None:
        for attempt in range(60):
            record = await self._send(
                Q_SIGN_IN, {"i": {"phone": self.phone, "password": PASSWORD}}, None, attempt > 0
            )
            token = record.payload.get("token")
            if record.outcome == "ok" and token:
                self.token = str(token)
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.phone} could not sign in")

    async def call(
        self,
        query: str,
        variables: dict[str, Any],
        *,
        retries: int = 0,
        retry_of: int | None = None,
    ) -> Record:
        """Send; an indeterminate answer is retried up to ``retries`` times, as it was sent."""
        if self.token is None:
            await self.sign_in()
        record = await self._send(query, variables, retry_of, other=False)
        first = record.seq if retry_of is None else retry_of
        while "UNAUTHENTICATED" in _codes(record) and retries >= 0:
            await self.sign_in()  # e.g. a session lost with Redis: sign in again
            record = await self._send(query, variables, first, other=False)
            retries -= 1
        while record.outcome in ("error", "fail") and retries > 0:
            retries -= 1
            await asyncio.sleep(0.2)
            record = await self._send(query, variables, first, other=True)
        return record


def _codes(record: Record) -> list[str]:
    codes = list(record.error_codes)
    for error in (record.body or {}).get("errors") or []:
        if isinstance(error, dict):
            codes.append(str((error.get("extensions") or {}).get("code")))
    return codes


def _outcome(record: Record) -> str:
    body = record.body if isinstance(record.body, dict) else {}
    if record.status != 200 or body.get("errors") or "data" not in body:
        return "error"
    payload = record.payload
    if record.op == "myLedger":
        return "ok" if payload else "error"
    if not payload:
        return "error"
    return "typed" if payload.get("errors") else "ok"


# ---------------------------------------------------------------------------------------- actors


def _basket(world: World) -> dict[str, Any]:
    goods = random.sample(world.goods, k=random.choice((1, 1, 2)))
    basket: dict[str, Any] = {
        "pointKind": "GRID",
        "goods": [{"goodsId": g, "quantity": random.choice((1, 1, 2))} for g in goods],
    }
    if random.random() < 0.35:
        soon = [s for s, starts in world.soon_sessions if starts > time.time() + 1][:3]
        choice = random.choice(soon) if soon and random.random() < 0.7 else None
        sitting = choice or random.choice(world.sessions)
        basket["sessions"] = [{"sessionId": sitting, "places": 1}]
    if random.random() < 0.2:
        day = random.choice(world.venue_days)
        hour = random.randint(8, 18)
        basket["venue"] = {
            "venueId": world.venue,
            "startsAt": f"{day}T{hour:02d}:00:00+08:00",
            "endsAt": f"{day}T{hour + 1:02d}:00:00+08:00",
        }
    return basket


async def resident(client: Client, world: World, shared: Shared, claim_id: str | None) -> None:
    """Redeem, cancel, claim and withdraw, check in and out, read the balance; until stopped."""
    mine: list[str] = []  # acknowledged redemptions, still reserved as far as we know
    live_claims: dict[str, str] = {}  # order id -> claim id
    checked_in = checked_out = False
    while shared.running():
        roll = random.random()
        if roll < 0.35:
            key = str(uuid.uuid4())
            basket = _basket(world)
            variables = {"i": {**basket, "idempotencyKey": key}}
            record = await client.call(Q_CHECKOUT, variables, retries=3)
            if record.outcome == "ok":
                redemption = record.payload["redemption"]
                mine.append(redemption["id"])
                shared.pickups.append(redemption["pickupCode"])
                if random.random() < 0.15:  # the same request again: the first answer
                    await client.call(Q_CHECKOUT, variables, retry_of=record.seq)
                if random.random() < 0.05:  # the same key, another basket: refused
                    other = {"i": {**_basket(world), "idempotencyKey": key}}
                    if other["i"] != variables["i"]:
                        await client.call(Q_CHECKOUT, other, retry_of=record.seq)
        elif roll < 0.5 and mine:
            target = mine.pop(random.randrange(len(mine)))
            variables = {"i": {"redemptionId": target, "idempotencyKey": str(uuid.uuid4())}}
            record = await client.call(Q_CANCEL, variables, retries=3)
            if record.outcome == "ok" and random.random() < 0.2:
                await client.call(Q_CANCEL, variables, retry_of=record.seq)
        elif roll < 0.65:
            order = random.choice(world.claim_orders)
            if order in live_claims:
                record = await client.call(Q_WITHDRAW, {"i": {"claimId": live_claims[order]}})
                if record.outcome == "ok" or "INVALID_STATE" in record.error_codes:
                    live_claims.pop(order)
            else:
                record = await client.call(Q_CLAIM, {"i": {"orderId": order}})
                if record.outcome == "ok":
                    live_claims[order] = record.payload["claim"]["id"]
        elif roll < 0.75 and claim_id and not checked_out:
            if not checked_in:
                record = await client.call(Q_CHECK_IN, {"i": {"claimId": claim_id}}, retries=2)
                checked_in = record.outcome == "ok" or "ALREADY_CHECKED_IN" in record.error_codes
            else:
                record = await client.call(Q_CHECK_OUT, {"i": {"claimId": claim_id}}, retries=2)
                if record.outcome == "ok":
                    checked_out = True
                    shared.checked_out.append(claim_id)
        else:
            await client.call(Q_LEDGER, {})
        await asyncio.sleep(random.uniform(0.0, 0.05))


async def admin(client: Client, world: World, shared: Shared) -> None:
    """Award and take points, confirm attendance, write off pickup codes."""
    while shared.running():
        roll = random.random()
        if roll < 0.4:
            person = random.choice(world.residents).person_id
            amount = random.choice((5, 10, 20, 30, -5))
            key = str(uuid.uuid4())
            variables = {
                "i": {
                    "personId": person,
                    "pointKind": "GRID",
                    "amount": amount,
                    "reason": "混沌测试调整",
                    "idempotencyKey": key,
                }
            }
            record = await client.call(Q_ADJUST, variables, retries=3)
            if record.outcome == "ok":
                if random.random() < 0.2:
                    await client.call(Q_ADJUST, variables, retry_of=record.seq)
                if random.random() < 0.1:
                    other = {"i": {**variables["i"], "amount": amount + 1}}
                    await client.call(Q_ADJUST, other, retry_of=record.seq)
        elif roll < 0.7 and shared.checked_out:
            claim = shared.checked_out.pop(random.randrange(len(shared.checked_out)))
            await client.call(Q_CONFIRM, {"i": {"claimId": claim}}, retries=2)
        elif shared.pickups:
            code = shared.pickups.pop(random.randrange(len(shared.pickups)))
            variables = {"i": {"communityId": world.community_id, "pickupCode": code}}
            await client.call(Q_FULFIL, variables, retries=2)
        await asyncio.sleep(random.uniform(0.05, 0.2))


async def meetings(convener: Client, members: list[Client], world: World, shared: Shared) -> None:
    """Joint meetings, one after another: convene, attend, vote for every item, close."""
    round_ = 0
    while shared.running():
        round_ += 1
        variables = {
            "i": {
                "communityId": world.community_id,
                "title": f"混沌联席会议 {round_}",
                "scheduledAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "quorum": 3,
                "memberIds": world.member_ids[:3],
            }
        }
        record = await convener.call(Q_CONVENE, variables)
        if record.outcome == "ok":
            meeting = record.payload["meeting"]
            for member in members:
                await member.call(Q_ATTEND, {"i": {"meetingId": meeting["id"]}}, retries=2)
            for item in meeting["agenda"]:
                for member in members:
                    vote = {"i": {"itemId": item["id"], "choice": "FOR"}}
                    await member.call(Q_VOTE, vote, retries=2)
            await convener.call(Q_CLOSE, {"i": {"meetingId": meeting["id"]}}, retries=3)
        await asyncio.sleep(3.0)


async def run_clients(world: World, ports: list[int], history: History, shared: Shared) -> None:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as http:
        residents = [Client(r.phone, ports, history, http) for r in world.residents]
        staff = Client(world.admin_phone, ports, history, http)
        convener = Client(world.admin_phone, ports, history, http)
        members = [Client(p, ports, history, http) for p in world.member_phones[:3]]
        everyone = [*residents, staff, convener, *members]
        for client in everyone:
            await client.sign_in()
        tasks = [
            resident(c, world, shared, r.attendance_claim)
            for c, r in zip(residents, world.residents, strict=True)
        ]
        tasks += [admin(staff, world, shared), meetings(convener, members, world, shared)]
        await asyncio.gather(*tasks)
