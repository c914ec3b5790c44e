"""After the run: the bank-test checks over the history and the database.

Each check returns a list of violations (strings); the run passes when all are empty.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from api.embedded import normalize_database_url
from bench.chaos.workload import Record
from bench.chaos.world import GOODS, World
from services.ledger import check as ledger_check
from services.ledger import verify as ledger_verify

RESOLUTIONS: dict[str, set[str | None]] = {  # a redemption's state -> how its hold may stand
    "reserved": {None, "void"},  # void: its hold expired (the ledger's worker got it)
    "fulfilled": {"post"},
    "cancelled": {"void"},
    "expired": {"void"},
}
Check = Callable[[AsyncSession, World, list[Record]], Awaitable[list[str]]]


def local_id(global_id: str) -> uuid.UUID:
    padded = global_id + "=" * (-len(global_id) % 4)
    return uuid.UUID(base64.urlsafe_b64decode(padded).decode().partition(":")[2])


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


async def ledger(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """Kinds sum to zero, balances equal entries, the hash chain holds, nobody below zero."""
    problems = await ledger_check.check(session)
    report = await ledger_verify.verify_database(session)
    if report.broken:
        problems.append(f"ledger chain broken: {report.broken}")
    problems += list(report.problems)
    for row in await _rows(
        session,
        "SELECT id, credits_posted - debits_posted - debits_pending AS available "
        "FROM ledger_account WHERE type::text = 'person' "
        "AND credits_posted - debits_posted - debits_pending < 0",
    ):
        problems.append(f"account {row.id}: available balance {row.available} below zero")
    return problems


async def exchange(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """Stock and places: what is left plus what is reserved or picked up is what there was."""
    problems: list[str] = []
    initial = {local_id(g): spec[2] for g, spec in zip(world.goods, GOODS, strict=True)}
    for row in await _rows(
        session,
        "SELECT g.id, g.stock, COALESCE(SUM(l.quantity) FILTER (WHERE r.state::text IN "
        "('reserved', 'fulfilled')), 0) AS out FROM goods g "
        "LEFT JOIN redemption_line l ON l.goods_id = g.id "
        "LEFT JOIN redemption r ON r.id = l.redemption_id "
        "WHERE g.id = ANY(:ids) GROUP BY g.id, g.stock",
        ids=list(initial),
    ):
        if row.stock < 0 or row.stock + row.out != initial[row.id]:
            problems.append(
                f"goods {row.id}: stock {row.stock} + out {row.out} != {initial[row.id]}"
            )
    for row in await _rows(
        session,
        "SELECT s.id, s.places_taken, s.capacity, COALESCE(SUM(l.quantity) FILTER (WHERE "
        "r.state::text IN ('reserved', 'fulfilled')), 0) AS out FROM service_session s "
        "LEFT JOIN redemption_line l ON l.session_id = s.id "
        "LEFT JOIN redemption r ON r.id = l.redemption_id "
        "WHERE s.id = ANY(:ids) GROUP BY s.id",
        ids=[local_id(s) for s in world.sessions] + [local_id(s) for s, _ in world.soon_sessions],
    ):
        if not 0 <= row.places_taken <= row.capacity or row.places_taken != row.out:
            problems.append(
                f"session {row.id}: {row.places_taken} taken of {row.capacity}, {row.out} held"
            )
    for row in await _rows(
        session,
        "SELECT a.id AS a, b.id AS b FROM venue_booking a JOIN venue_booking b "
        "ON a.venue_id = b.venue_id AND a.id < b.id AND a.active AND b.active "
        "AND a.blocked && b.blocked",
    ):
        problems.append(f"venue double-booked: bookings {row.a} and {row.b}")
    for row in await _rows(
        session,
        "SELECT r.id, r.state::text AS state, "
        "(SELECT string_agg(t.kind::text, ',') FROM ledger_transfer t "
        " WHERE t.pending_id = r.hold_id) AS resolved FROM redemption r",
    ):
        expected = RESOLUTIONS[row.state]
        if row.resolved not in expected:
            problems.append(f"redemption {row.id} is {row.state} but its hold is {row.resolved}")
    return problems


async def orders(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """Places on orders: taken = claimed <= places; nobody waits while a place is free."""
    problems: list[str] = []
    ids = [local_id(o) for o in world.claim_orders + world.attendance_orders]
    for row in await _rows(
        session,
        "SELECT o.id, o.places, o.places_taken, "
        "COUNT(c.id) FILTER (WHERE c.state::text = 'claimed') AS claimed, "
        "COUNT(c.id) FILTER (WHERE c.state::text = 'waitlisted') AS waiting "
        "FROM volunteer_order o LEFT JOIN order_claim c ON c.order_id = o.id "
        "WHERE o.id = ANY(:ids) GROUP BY o.id",
        ids=ids,
    ):
        if row.places_taken != row.claimed or row.claimed > row.places:
            problems.append(
                f"order {row.id}: {row.places_taken} taken, {row.claimed} claimed "
                f"of {row.places} places"
            )
        if row.waiting and row.claimed < row.places:
            problems.append(f"order {row.id}: {row.waiting} waiting with a place free")
    return problems


def _acked(history: list[Record], op: str) -> list[Record]:
    return [r for r in history if r.op == op and r.outcome == "ok"]


async def acknowledged(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """Every acknowledged mutation is in the database, as it was answered."""
    problems: list[str] = []

    async def one(sql: str, **params: Any) -> Any:
        return (await session.execute(text(sql), params)).one_or_none()

    for r in _acked(history, "redemptionCheckout"):
        found = await one(
            "SELECT total FROM redemption WHERE id = :id",
            id=local_id(r.payload["redemption"]["id"]),
        )
        if found is None or found.total != r.payload["redemption"]["total"]:
            problems.append(f"acknowledged checkout #{r.seq} missing or changed: {found}")
    final = {"redemptionCancel": "cancelled", "redemptionFulfil": "fulfilled"}
    for op, state in final.items():
        for r in _acked(history, op):
            found = await one(
                "SELECT state::text AS state FROM redemption WHERE id = :id",
                id=local_id(r.payload["redemption"]["id"]),
            )
            if found is None or found.state != state:
                problems.append(f"acknowledged {op} #{r.seq}: redemption is {found}")
    for r in _acked(history, "orderClaim"):
        if (
            await one(
                "SELECT 1 FROM order_claim WHERE id = :id", id=local_id(r.payload["claim"]["id"])
            )
            is None
        ):
            problems.append(f"acknowledged claim #{r.seq} missing")
    claim_checks = {
        "claimWithdraw": "state::text = 'withdrawn'",
        "claimCheckIn": "checked_in_at IS NOT NULL",
        "claimCheckOut": "checked_out_at IS NOT NULL",
        "attendanceConfirm": "attendance::text = 'confirmed'",
    }
    for op, condition in claim_checks.items():
        for r in _acked(history, op):
            sql = f"SELECT 1 FROM order_claim WHERE id = :id AND {condition}"  # noqa: S608
            if await one(sql, id=local_id(r.payload["claim"]["id"])) is None:
                problems.append(f"acknowledged {op} #{r.seq} not in the database")
    for r in _acked(history, "ledgerAdjust"):
        transfer = r.payload["transfer"]
        found = await one(
            "SELECT amount FROM ledger_transfer WHERE id = :id", id=local_id(transfer["id"])
        )
        if found is None or found.amount != abs(transfer["amount"]):
            problems.append(f"acknowledged adjustment #{r.seq} missing or changed: {found}")
    for r in _acked(history, "meetingVote"):
        voter = await one("SELECT id FROM person WHERE phone = :p", p=r.actor)
        item = local_id(r.variables["i"]["itemId"])
        sql = "SELECT 1 FROM meeting_vote WHERE item_id = :item AND person_id = :person"
        if voter is None or await one(sql, item=item, person=voter.id) is None:
            problems.append(f"acknowledged vote #{r.seq} missing")
    for r in _acked(history, "meetingClose"):
        found = await one(
            "SELECT state::text AS state FROM joint_meeting WHERE id = :id",
            id=local_id(r.payload["meeting"]["id"]),
        )
        if found is None or found.state != "closed":
            problems.append(f"acknowledged meeting close #{r.seq}: {found}")
        ungranted = await one(
            "SELECT COUNT(*) AS n FROM agenda_item i WHERE i.meeting_id = :id "
            "AND i.outcome::text = 'passed' AND NOT EXISTS (SELECT 1 FROM point_grant g "
            "JOIN ledger_transfer t ON t.id = g.hold_id WHERE g.claim_id = i.claim_id "
            "AND g.meeting_id = i.meeting_id)",
            id=local_id(r.payload["meeting"]["id"]),
        )
        if ungranted is not None and ungranted.n:
            problems.append(f"meeting close #{r.seq}: {ungranted.n} passed items without a grant")
    return problems


async def idempotency(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """One effect per key: every answer to a key names the same object, and the database holds
    exactly one object per key (no redemption or adjustment without its key)."""
    problems: list[str] = []
    answers: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for r in history:
        key = (r.variables.get("i") or {}).get("idempotencyKey")
        if key is None or r.outcome != "ok":
            continue
        thing = r.payload.get("redemption") or r.payload.get("transfer") or {}
        answers[(r.actor, r.op, key)].add(str(thing.get("id")))
    for (actor, op, key), ids in answers.items():
        if len(ids) > 1:
            problems.append(f"{actor} key {key} ({op}) answered with {len(ids)} objects: {ids}")
    reused = [
        r
        for r in history
        if r.retry_of is not None
        and r.outcome == "ok"
        and r.op in ("redemptionCheckout", "ledgerAdjust")
        and any(
            o.seq == r.retry_of and o.variables != r.variables and o.outcome == "ok"
            for o in history
            if o.actor == r.actor
        )
    ]
    problems += [f"key reused with another input was accepted: #{r.seq}" for r in reused]
    orphans = await _rows(
        session,
        "SELECT r.id FROM redemption r WHERE r.created_at >= to_timestamp(:since) "
        "AND NOT EXISTS (SELECT 1 FROM idempotency_key k WHERE k.operation = "
        "'redemption.checkout' AND k.result->>'redemption_id' = r.id::text)",
        since=world.extra["run_started"],
    )
    problems += [
        f"redemption {row.id} has no idempotency key (a second effect?)" for row in orphans
    ]
    doubled = await _rows(
        session,
        "SELECT result->>'redemption_id' AS id, COUNT(*) AS n FROM idempotency_key "
        "WHERE operation = 'redemption.checkout' GROUP BY 1 HAVING COUNT(*) > 1",
    )
    problems += [f"redemption {row.id} is the effect of {row.n} keys" for row in doubled]
    adjustments = await _rows(
        session,
        "SELECT t.id FROM ledger_transfer t WHERE t.cause::text = 'adjustment' "
        "AND t.created_at >= to_timestamp(:since) "
        "AND NOT EXISTS (SELECT 1 FROM idempotency_key k WHERE k.operation = 'ledger.adjust' "
        "AND k.result->>'transfer_id' = t.id::text)",
        since=world.extra["run_started"],
    )
    problems += [f"adjustment {row.id} has no idempotency key" for row in adjustments]
    return problems


async def outbox(session: AsyncSession, world: World, history: list[Record]) -> list[str]:
    """Every acknowledged change wrote its event, and every event was published."""
    problems: list[str] = []
    unpublished = await session.scalar(
        text("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL")
    )
    if unpublished:
        problems.append(f"{unpublished} outbox events never published")
    seen = {
        (row.topic, row.ref, row.state)
        for row in await _rows(
            session,
            "SELECT topic, COALESCE(payload->>'redemptionId', payload->>'claimId') AS ref, "
            "payload->>'state' AS state FROM outbox_event "
            "WHERE topic IN ('redemption.changed', 'claim.changed')",
        )
    }
    wanted = {
        "redemptionCheckout": ("redemption.changed", "redemption", "reserved"),
        "redemptionCancel": ("redemption.changed", "redemption", "cancelled"),
        "redemptionFulfil": ("redemption.changed", "redemption", "fulfilled"),
        "orderClaim": ("claim.changed", "claim", None),
        "claimWithdraw": ("claim.changed", "claim", "withdrawn"),
    }
    states = {(topic, ref) for topic, ref, _ in seen}
    for op, (topic, field, state) in wanted.items():
        for r in _acked(history, op):
            ref = str(local_id(r.payload[field]["id"]))
            if state is None and (topic, ref) not in states:
                problems.append(f"acknowledged {op} #{r.seq}: no {topic} event")
            elif state is not None and (topic, ref, state) not in seen:
                problems.append(f"acknowledged {op} #{r.seq}: no {topic} event ({state})")
    return problems


def deadlocks(api_logs: Path, postgres_log: Path) -> list[str]:
    """Every "deadlock detected" that reached a log: an untyped failure, a bug."""
    return [
        f"{log.name}: {line.strip()[:300]}"
        for log in sorted([*api_logs.glob("api*.log"), postgres_log])
        for line in log.read_text(errors="replace").splitlines()
        if "deadlock detected" in line and "ERROR" in line.upper()
    ]


CHECKS: dict[str, Check] = {
    "ledger": ledger,
    "exchange": exchange,
    "orders": orders,
    "acknowledged": acknowledged,
    "idempotency": idempotency,
    "outbox": outbox,
}


async def check_all(database_url: str, world: World, history: list[Record]) -> dict[str, list[str]]:
    engine = create_async_engine(normalize_database_url(database_url))
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        results: dict[str, list[str]] = {}
        for name, check in CHECKS.items():
            async with sessions() as session, session.begin():
                results[name] = await check(session, world, history)
        return results
    finally:
        await engine.dispose()
