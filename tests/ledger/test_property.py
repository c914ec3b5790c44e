"""Random histories against a simple model of the ledger (hypothesis).

Holds (some expiring), posts (whole or partial), voids, expiry (the clock moving and the worker
running), reversals, transfers, and retries of earlier idempotency keys with the same or a changed
request: after every step the database's counters equal the model's, every kind sums to zero, no
available balance is negative, and no key applies twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger import idempotency, queries, verify
from services.ledger import service as ledger
from services.ledger.models import Account, AccountType, Cause, PointKind
from tests.ledger.conftest import truncate_ledger
from tests.support import World

GRID = PointKind.GRID
PEOPLE = ("resident_a", "resident_a2", "resident_b")
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

person = st.integers(0, len(PEOPLE) - 1)
amount = st.integers(1, 30)
steps = st.one_of(
    st.tuples(st.just("grant"), person, amount),
    st.tuples(st.just("spend"), person, amount),
    st.tuples(st.just("hold"), person, amount, st.none() | st.integers(1, 3)),
    st.tuples(st.just("post"), st.integers(0, 30), st.none() | amount),
    st.tuples(st.just("void"), st.integers(0, 30)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(st.just("advance"), st.integers(1, 2)),
    st.just(("expire",)),
    st.tuples(st.just("retry"), st.integers(0, 30), st.booleans()),
)


@dataclass
class Hold:
    id: uuid.UUID
    debit: str
    credit: str
    amount: int
    expires_at: datetime | None
    state: str = "pending"  # posted, voided, expired (voided by expiry)


@dataclass
class Posting:
    id: uuid.UUID
    debit: str
    credit: str
    amount: int
    reversed: bool = False


@dataclass
class Keyed:
    key: str
    name: str
    params: dict[str, Any]


@dataclass
class Model:
    now: datetime = START
    counters: dict[str, list[int]] = field(default_factory=dict)  # dp, cp, dpend, cpend
    holds: list[Hold] = field(default_factory=list)
    postings: list[Posting] = field(default_factory=list)
    keys: dict[str, tuple[str, dict[str, Any], uuid.UUID]] = field(default_factory=dict)
    keyed: list[Keyed] = field(default_factory=list)

    def spendable(self, account: str) -> int:
        dp, cp, dpend, _ = self.counters[account]
        return cp - dp - dpend

    def available(self, account: str) -> int:
        lapsed = sum(
            h.amount
            for h in self.holds
            if h.debit == account and h.state == "pending" and self.lapsed(h)
        )
        return self.spendable(account) + lapsed

    def lapsed(self, hold: Hold) -> bool:
        return hold.expires_at is not None and hold.expires_at <= self.now

    def release(self, hold: Hold, state: str, posted: int = 0) -> None:
        hold.state = state
        self.counters[hold.debit][2] -= hold.amount
        self.counters[hold.credit][3] -= hold.amount
        self.counters[hold.debit][0] += posted
        self.counters[hold.credit][1] += posted

    def move(self, debit: str, credit: str, amount: int, *, pending: bool) -> None:
        offset = 2 if pending else 0
        self.counters[debit][offset] += amount
        self.counters[credit][offset + 1] += amount

    def debit_allowed(self, account: str, amount: int) -> list[Hold] | None:
        """The lapsed holds the debit releases first, or None if it is refused."""
        if account not in PEOPLE or self.spendable(account) >= amount:
            return []
        lapsed = [
            h
            for h in self.holds
            if h.state == "pending" and self.lapsed(h) and account in (h.debit, h.credit)
        ]
        freed = sum(h.amount for h in lapsed if h.debit == account)
        if lapsed and self.spendable(account) + freed >= amount:
            return lapsed
        return None


class Books:
    def __init__(self, world: World, accounts: dict[str, uuid.UUID]) -> None:
        self.world = world
        self.accounts = accounts
        self.actor = world.people["community_admin"]
        self.community = world.units["C1"]


async def run(state: AppState, books: Books, model: Model, keyed: Keyed) -> object:
    """Run one keyed step in its own transaction; the transfer id, or the error code."""
    params = keyed.params

    async def work(session: AsyncSession) -> dict[str, Any]:
        if keyed.name in ("grant", "spend", "hold"):
            debit, credit = params["debit"], params["credit"]
            call = ledger.hold if keyed.name == "hold" else ledger.transfer
            extra = {"expires_at": params["expires_at"]} if keyed.name == "hold" else {}
            moved = await call(
                session,
                community_id=books.community,
                debit_account_id=books.accounts[debit],
                credit_account_id=books.accounts[credit],
                amount=params["amount"],
                kind=GRID,
                cause=Cause.ADJUSTMENT if keyed.name == "grant" else Cause.REDEMPTION,
                cause_id=None,
                reason=params["reason"],
                actor_id=books.actor,
                **extra,
            )
        elif keyed.name == "post":
            moved = await ledger.post(
                session,
                pending_id=params["hold"],
                actor_id=books.actor,
                amount=params["amount"],
                reason=params["reason"],
            )
        elif keyed.name == "void":
            moved = await ledger.void(
                session, pending_id=params["hold"], actor_id=books.actor, reason=params["reason"]
            )
        else:
            moved = await ledger.reverse(
                session,
                transfer_id=params["posting"],
                actor_id=books.actor,
                reason=params["reason"],
            )
        return {"transfer_id": str(moved.id)}

    async with state.sessions() as session:
        try:
            result = await idempotency.run_once(
                session,
                actor_id=books.actor,
                key=keyed.key,
                operation=f"test.{keyed.name}",
                request=params,
                work=lambda: work(session),
            )
            await session.commit()
            return uuid.UUID(result["transfer_id"])
        except DomainError as error:
            await session.rollback()
            return error.code


def expect(model: Model, keyed: Keyed) -> object:
    """What the step should answer; applies its effect to the model when it succeeds
    (the new transfer's id is filled in by :func:`record`)."""
    if keyed.key in model.keys:
        name, params, first = model.keys[keyed.key]
        return first if (name, params) == (keyed.name, keyed.params) else "reused"
    p = keyed.params
    if keyed.name == "hold" and p["expires_at"] is not None and p["expires_at"] <= model.now:
        return ErrorCode.INVALID_VALUE  # a retry after the clock passed its deadline
    if keyed.name in ("grant", "spend", "hold"):
        released = model.debit_allowed(p["debit"], p["amount"])
        if released is None:
            return ErrorCode.INSUFFICIENT_POINTS
        for hold in released:
            model.release(hold, "expired")
        model.move(p["debit"], p["credit"], p["amount"], pending=keyed.name == "hold")
        return "new"
    if keyed.name in ("post", "void"):
        hold = next(h for h in model.holds if h.id == p["hold"])
        if keyed.name == "post" and (p["amount"] or hold.amount) > hold.amount:
            return ErrorCode.AMOUNT_EXCEEDS_HOLD
        if hold.state == "expired":
            return ErrorCode.HOLD_EXPIRED
        if hold.state != "pending":
            return ErrorCode.HOLD_NOT_PENDING
        if model.lapsed(hold):
            return ErrorCode.HOLD_EXPIRED
        if keyed.name == "post":
            model.release(hold, "posted", posted=p["amount"] or hold.amount)
        else:
            model.release(hold, "voided")
        return "new"
    posting = next(x for x in model.postings if x.id == p["posting"])
    if posting.reversed:
        return ErrorCode.ALREADY_REVERSED
    released = model.debit_allowed(posting.credit, posting.amount)
    if released is None:
        return ErrorCode.INSUFFICIENT_POINTS
    for hold in released:
        model.release(hold, "expired")
    model.move(posting.credit, posting.debit, posting.amount, pending=False)
    posting.reversed = True
    return "new"


def record(model: Model, keyed: Keyed, transfer_id: uuid.UUID) -> None:
    p = keyed.params
    model.keys[keyed.key] = (keyed.name, p, transfer_id)
    if keyed.name == "hold":
        model.holds.append(Hold(transfer_id, p["debit"], p["credit"], p["amount"], p["expires_at"]))
    elif keyed.name in ("grant", "spend"):
        model.postings.append(Posting(transfer_id, p["debit"], p["credit"], p["amount"]))
    elif keyed.name == "post":
        hold = next(h for h in model.holds if h.id == p["hold"])
        model.postings.append(
            Posting(transfer_id, hold.debit, hold.credit, p["amount"] or hold.amount)
        )
    elif keyed.name == "reverse":
        original = next(x for x in model.postings if x.id == p["posting"])
        model.postings.append(
            Posting(transfer_id, original.credit, original.debit, original.amount)
        )


def keyed_step(model: Model, step: tuple[Any, ...], number: int) -> Keyed | None:
    name, key = step[0], f"key-{number}"
    if name in ("grant", "spend"):
        who = PEOPLE[step[1]]
        debit, credit = ("issuance", who) if name == "grant" else (who, "sink")
        return Keyed(
            key, name, {"debit": debit, "credit": credit, "amount": step[2], "reason": name}
        )
    if name == "hold":
        expires = None if step[3] is None else model.now + timedelta(hours=step[3])
        params = {"debit": PEOPLE[step[1]], "credit": "sink", "amount": step[2]}
        return Keyed(key, name, params | {"expires_at": expires, "reason": "hold"})
    if name in ("post", "void") and model.holds:
        hold = model.holds[step[1] % len(model.holds)]
        params = {"hold": hold.id, "reason": name}
        return Keyed(key, name, params | ({"amount": step[2]} if name == "post" else {}))
    if name == "reverse" and model.postings:
        posting = model.postings[step[1] % len(model.postings)]
        return Keyed(key, name, {"posting": posting.id, "reason": "reverse"})
    if name == "retry" and model.keyed:
        earlier = model.keyed[step[1] % len(model.keyed)]
        params = dict(earlier.params)
        if not step[2]:
            params["reason"] = params["reason"] + "!"
        return Keyed(earlier.key, earlier.name, params)
    return None


async def check(session: AsyncSession, books: Books, model: Model) -> None:
    rows = await session.execute(
        select(
            Account.id,
            Account.debits_posted,
            Account.credits_posted,
            Account.debits_pending,
            Account.credits_pending,
        )
    )
    actual = {row[0]: list(row[1:]) for row in rows}
    for name, account_id in books.accounts.items():
        assert actual[account_id] == model.counters[name], name
    assert [
        sum(c[1] - c[0] for c in actual.values()),
        sum(c[3] - c[2] for c in actual.values()),
    ] == [0, 0]
    for who in PEOPLE:
        [balance] = [
            b
            for b in await queries.balances(session, books.world.people[who])
            if b.point_kind is GRID
        ]
        assert balance.available == model.available(who) >= 0, who


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=1, max_size=25))
async def test_random_histories_match_the_model(
    history: list[tuple[Any, ...]], state: AppState, world: World
) -> None:
    await truncate_ledger(state)
    with clock.frozen(START) as move:
        async with state.sessions() as session:
            accounts = {
                "issuance": (
                    await ledger.system_account(
                        session,
                        community_id=world.units["C1"],
                        type=AccountType.ISSUANCE,
                        kind=GRID,
                    )
                ).id,
                "sink": (
                    await ledger.system_account(
                        session,
                        community_id=world.units["C1"],
                        type=AccountType.EXCHANGE_SINK,
                        kind=GRID,
                    )
                ).id,
            }
            for who in PEOPLE:
                accounts[who] = (
                    await ledger.person_account(
                        session,
                        community_id=world.units["C1"],
                        person_id=world.people[who],
                        kind=GRID,
                    )
                ).id
            await session.commit()
        books = Books(world, accounts)
        model = Model(counters={name: [0, 0, 0, 0] for name in accounts})
        for number, step in enumerate(history):
            if step[0] == "advance":
                model.now += timedelta(hours=step[1])
                move(model.now)
            elif step[0] == "expire":
                async with state.sessions() as session:
                    count = await ledger.expire_due(session)
                    await session.commit()
                due = [h for h in model.holds if h.state == "pending" and model.lapsed(h)]
                assert count == len(due)
                for hold in due:
                    model.release(hold, "expired")
            else:
                keyed = keyed_step(model, step, number)
                if keyed is None:
                    continue
                expected = expect(model, keyed)
                answer = await run(state, books, model, keyed)
                if expected == "new":
                    assert isinstance(answer, uuid.UUID), (step, answer)
                    record(model, keyed, answer)
                elif expected == "reused":
                    assert answer is ErrorCode.IDEMPOTENCY_KEY_REUSED, (step, answer)
                else:
                    assert answer == expected, (step, answer, expected)
                if step[0] != "retry":
                    model.keyed.append(keyed)
            async with state.sessions() as session:
                await check(session, books, model)
        async with state.sessions() as session:
            report = await verify.verify_database(session)
            assert report.ok, report
