"""The ledger in the graph: own ledger only, admin corrections in scope, idempotent retries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services.ledger.models import PointKind, Transfer
from tests.ledger.conftest import Books, grant
from tests.ledger.test_transfers import redeem_hold
from tests.support import Api, gid

MY_LEDGER = """query($first: Int, $after: String) {
  myLedger {
    balances { pointKind posted heldOut heldIn available }
    entries(first: $first, after: $after) {
      edges { cursor node { id kind amount direction cause reason seq hash
                            debitAccount { type } creditAccount { type person { name } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
COMMUNITY = """query($c: ID!, $first: Int, $after: String) {
  communityLedger(communityId: $c, first: $first, after: $after) {
    nodes { id kind amount direction cause }
    pageInfo { hasNextPage endCursor }
  }
}"""
NODE = """query($id: ID!) { node(id: $id) { id ... on LedgerTransfer { amount direction } } }"""
ADJUST = """mutation($i: LedgerAdjustInput!) {
  ledgerAdjust(input: $i) {
    transfer { id kind amount direction cause reason seq hash
               creditAccount { type person { name } } debitAccount { type } }
    errors { code field message }
  }
}"""
REVERSE = """mutation($i: LedgerReverseInput!) {
  ledgerReverse(input: $i) {
    transfer { id amount cause reversesId debitAccount { type } creditAccount { type } }
    errors { code field }
  }
}"""


def adjust_input(books: Books, key: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "personId": gid("Person", books.person(key)),
        "pointKind": "GRID",
        "amount": amount,
        "reason": "补录志愿服务",
        "idempotencyKey": f"adjust-{key}-{amount}",
        **extra,
    }


async def test_residents_read_only_their_own_ledger(
    api: Api, books: Books, session: AsyncSession
) -> None:
    # given resident A with 30 points and a 4-point redemption waiting, resident B with 5
    granted = await grant(session, books, "resident_a", 30)
    await redeem_hold(session, books, "resident_a", 4)
    await session.commit()
    await grant(session, books, "resident_b", 5)

    # when A reads their ledger
    token_a = await api.sign_in(books.world.phones["resident_a"])
    mine = (await api(MY_LEDGER, token=token_a)).data["myLedger"]

    # then A sees their balances and their two entries, newest first
    assert mine["balances"] == [
        {"pointKind": "WORK", "posted": 0, "heldOut": 0, "heldIn": 0, "available": 0},
        {"pointKind": "GRID", "posted": 30, "heldOut": 4, "heldIn": 0, "available": 26},
    ]
    nodes = [edge["node"] for edge in mine["entries"]["edges"]]
    assert [(n["kind"], n["amount"], n["direction"]) for n in nodes] == [
        ("PENDING", 4, "DEBIT"),
        ("POSTED", 30, "CREDIT"),
    ]
    assert nodes[1]["seq"] == 1 and nodes[1]["hash"] == granted.hash
    assert nodes[1]["creditAccount"] == {"type": "PERSON", "person": {"name": "测试resident_a"}}
    assert nodes[1]["debitAccount"] == {"type": "ISSUANCE"}

    # and B sees only B's entry, and cannot fetch A's by ID
    token_b = await api.sign_in(books.world.phones["resident_b"])
    theirs = (await api(MY_LEDGER, token=token_b)).data["myLedger"]
    assert [e["node"]["amount"] for e in theirs["entries"]["edges"]] == [5]
    assert (await api(NODE, {"id": nodes[1]["id"]}, token=token_b)).data["node"] is None
    own = await api(NODE, {"id": nodes[1]["id"]}, token=token_a)
    assert own.data["node"]["direction"] == "CREDIT"
    assert (
        await api(COMMUNITY, {"c": gid("OrgUnit", books.community_id)}, token=token_b)
    ).error_codes == ["FORBIDDEN"]


async def test_entries_page_newest_first_without_gaps(
    api: Api, books: Books, session: AsyncSession
) -> None:
    for amount in range(1, 8):
        await grant(session, books, "resident_a", amount)
    token = await api.sign_in(books.world.phones["resident_a"])
    seen: list[int] = []
    after = None
    while True:
        page = (await api(MY_LEDGER, {"first": 3, "after": after}, token=token)).data
        entries = page["myLedger"]["entries"]
        seen += [edge["node"]["amount"] for edge in entries["edges"]]
        if not entries["pageInfo"]["hasNextPage"]:
            break
        after = entries["pageInfo"]["endCursor"]
    assert seen == [7, 6, 5, 4, 3, 2, 1]


async def test_community_ledger_is_for_its_admins_and_those_above(
    api: Api, books: Books, session: AsyncSession
) -> None:
    await grant(session, books, "resident_a", 3)
    await grant(session, books, "resident_b", 4)
    community = {"c": gid("OrgUnit", books.community_id)}
    for who in ("community_admin", "street_admin", "admin"):
        token = await api.sign_in(books.world.phones[who])
        reply = await api(COMMUNITY, community, token=token)
        assert [n["amount"] for n in reply.data["communityLedger"]["nodes"]] == [4, 3], who
        assert {n["direction"] for n in reply.data["communityLedger"]["nodes"]} == {None}
    for who in ("community_admin2", "worker_a", "member"):
        token = await api.sign_in(books.world.phones[who])
        assert (await api(COMMUNITY, community, token=token)).error_codes == ["FORBIDDEN"]


async def test_admin_adjusts_points_in_scope_with_a_reason(
    api: Api, books: Books, session: AsyncSession
) -> None:
    token = await api.sign_in(books.world.phones["community_admin"])
    reply = await api(ADJUST, {"i": adjust_input(books, "resident_a", 10)}, token=token)
    payload = reply.data["ledgerAdjust"]
    assert payload["errors"] == []
    assert payload["transfer"] | {"id": None, "hash": None} == {
        "id": None,
        "kind": "POSTED",
        "amount": 10,
        "direction": "CREDIT",
        "cause": "ADJUSTMENT",
        "reason": "补录志愿服务",
        "seq": 1,
        "hash": None,
        "creditAccount": {"type": "PERSON", "person": {"name": "测试resident_a"}},
        "debitAccount": {"type": "ISSUANCE"},
    }
    taken = await api(ADJUST, {"i": adjust_input(books, "resident_a", -4)}, token=token)
    assert taken.data["ledgerAdjust"]["transfer"]["direction"] == "DEBIT"

    cases = [
        ("community_admin", adjust_input(books, "resident_a", -7), "INSUFFICIENT_POINTS", "amount"),
        ("community_admin", adjust_input(books, "resident_a", 0), "INVALID_AMOUNT", "amount"),
        (
            "community_admin",
            adjust_input(books, "resident_a", 5, reason=" "),
            "REASON_REQUIRED",
            "reason",
        ),
        (
            "community_admin",
            adjust_input(books, "resident_a", 5, idempotencyKey=""),
            "REQUIRED",
            "idempotencyKey",
        ),
        ("community_admin", adjust_input(books, "community_admin", 5), "FORBIDDEN", "personId"),
        ("community_admin2", adjust_input(books, "resident_a", 5), "NOT_FOUND", "personId"),
        ("worker_a", adjust_input(books, "resident_a", 5), "FORBIDDEN", "personId"),
        ("resident_a", adjust_input(books, "resident_a", 5), "FORBIDDEN", "personId"),
        ("resident_a", adjust_input(books, "resident_a2", 5), "NOT_FOUND", "personId"),
        (
            "community_admin",
            adjust_input(books, "resident_a", 5, personId=gid("OrgUnit", books.community_id)),
            "INVALID_ID",
            "personId",
        ),
    ]
    tokens: dict[str, str] = {}
    for who, given, code, field in cases:
        if who not in tokens:
            tokens[who] = await api.sign_in(books.world.phones[who])
        token = tokens[who]
        reply = await api(ADJUST, {"i": given}, token=token)
        payload = reply.data["ledgerAdjust"]
        assert payload["transfer"] is None, (who, given)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], (who, given)
    refused = await api(
        ADJUST,
        {"i": adjust_input(books, "resident_a", -7)},
        token=tokens["community_admin"],
        language="en",
    )
    assert (
        refused.data["ledgerAdjust"]["errors"][0]["message"] == "Not enough points (6 available)."
    )
    assert await session.scalar(select(func.count()).select_from(Transfer)) == 2


async def test_a_retry_with_the_same_key_returns_the_same_payload(
    api: Api, books: Books, session: AsyncSession
) -> None:
    token = await api.sign_in(books.world.phones["community_admin"])
    given = adjust_input(books, "resident_b", 12, idempotencyKey="9f1c-retry")
    first = await api(ADJUST, {"i": given}, token=token)
    again = await api(ADJUST, {"i": given}, token=token)
    assert first.data["ledgerAdjust"]["errors"] == []
    assert again.body == first.body
    other = await api(ADJUST, {"i": given | {"amount": 13}}, token=token)
    assert other.data["ledgerAdjust"]["errors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "field": "idempotencyKey",
            "message": "该请求编号已用于另一笔不同的操作。",
        }
    ]
    assert await session.scalar(select(func.count()).select_from(Transfer)) == 1
    # a key is the actor's own: another admin's same key is another request
    token2 = await api.sign_in(books.world.phones["street_admin"])
    theirs = await api(ADJUST, {"i": given}, token=token2)
    assert (
        theirs.data["ledgerAdjust"]["transfer"]["id"]
        != first.data["ledgerAdjust"]["transfer"]["id"]
    )


async def test_reversal_through_the_graph(api: Api, books: Books, session: AsyncSession) -> None:
    granted = await grant(session, books, "resident_a", 9, kind=PointKind.WORK)
    given = {
        "transferId": gid("LedgerTransfer", granted.id),
        "reason": "重复登记",
        "idempotencyKey": "rev-1",
    }
    resident = await api.sign_in(books.world.phones["resident_a"])
    denied = await api(REVERSE, {"i": given}, token=resident)
    assert denied.data["ledgerReverse"]["errors"] == [{"code": "FORBIDDEN", "field": "transferId"}]

    admin = await api.sign_in(books.world.phones["street_admin"])
    reply = await api(REVERSE, {"i": given}, token=admin)
    assert reply.data["ledgerReverse"] == {
        "transfer": {
            "id": reply.data["ledgerReverse"]["transfer"]["id"],
            "amount": 9,
            "cause": "REVERSAL",
            "reversesId": given["transferId"],
            "debitAccount": {"type": "PERSON"},
            "creditAccount": {"type": "ISSUANCE"},
        },
        "errors": [],
    }
    assert (await api(REVERSE, {"i": given}, token=admin)).body == reply.body
    twice = await api(REVERSE, {"i": given | {"idempotencyKey": "rev-2"}}, token=admin)
    assert twice.data["ledgerReverse"]["errors"] == [
        {"code": "ALREADY_REVERSED", "field": "transferId"}
    ]
    outsider = await api.sign_in(books.world.phones["community_admin2"])
    hidden = await api(REVERSE, {"i": given | {"idempotencyKey": "x"}}, token=outsider)
    assert hidden.data["ledgerReverse"]["errors"] == [{"code": "NOT_FOUND", "field": "transferId"}]


async def test_fifty_identical_requests_at_once_get_one_effect_and_one_answer(
    api: Api, books: Books, session: AsyncSession
) -> None:
    token = await api.sign_in(books.world.phones["community_admin"])
    given = adjust_input(books, "resident_a2", 6, idempotencyKey="double-click")
    replies = await asyncio.gather(*(api(ADJUST, {"i": given}, token=token) for _ in range(50)))
    assert {json.dumps(reply.body, sort_keys=True) for reply in replies} == {
        json.dumps(replies[0].body, sort_keys=True)
    }
    assert replies[0].data["ledgerAdjust"]["errors"] == []
    assert await session.scalar(select(func.count()).select_from(Transfer)) == 1


async def test_reading_entries_costs_the_same_for_2_or_12_of_them(
    api: Api, state: AppState, books: Books, session: AsyncSession
) -> None:
    for amount in range(1, 13):
        await grant(session, books, "resident_a" if amount % 2 else "resident_b", amount)
    token = await api.sign_in(books.world.phones["community_admin"])
    query = """query($c: ID!, $n: Int!) { communityLedger(communityId: $c, first: $n) {
      nodes { amount debitAccount { type person { name } } creditAccount { person { name } } } } }"""
    engine = state.engine.sync_engine
    counts = []
    seen: list[list[str]] = []
    for n in (2, 12):
        statements: list[str] = []

        def record(*args: Any, into: list[str] = statements) -> None:
            into.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        try:
            reply = await api(query, {"c": gid("OrgUnit", books.community_id), "n": n}, token=token)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(reply.data["communityLedger"]["nodes"]) == n
        counts.append(len(statements))
        seen.append([s[:60] for s in statements])
    assert counts[0] == counts[1] <= 4, (counts, seen)
