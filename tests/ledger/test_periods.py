"""Month closing (月结) and booking days: a closed month takes nothing more, back-dated or not."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.auth.service import load_actor
from services.errors import DomainError, ErrorCode
from services.ledger import admin, periods, verify
from services.ledger.chain import chain_hash
from services.ledger.models import ChainHead, IdempotencyKey, PointKind, Transfer
from services.orgs.models import OrgUnit
from tests.ledger.conftest import Books, account_of, counters, grant
from tests.ledger.test_graphql import adjust_input
from tests.support import Api, gid

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 on 10 March in Shanghai
CLOSE = """mutation($i: LedgerMonthCloseInput!) { ledgerMonthClose(input: $i) {
  closedMonth { month closedAt closedBy { name } } errors { code field } } }"""
CLOSED = """query($c: ID!) { closedMonths(communityId: $c) { month closedBy { name } } }"""
ADJUST = """mutation($i: LedgerAdjustInput!) { ledgerAdjust(input: $i) {
  transfer { amount bookedOn } errors { code field } } }"""
STATS = """query($c: ID!) { pointsStatistics(communityId: $c, year: 2026, groupBy: PERSON) {
  month keyId earned spent } }"""


def close_input(books: Books, month: str, community: str = "C1") -> dict[str, Any]:
    return {"i": {"communityId": gid("OrgUnit", books.world.units[community]), "month": month}}


async def books_state(session: AsyncSession, books: Books) -> tuple[object, ...]:
    """Everything a refused write must leave as it was."""
    return (
        await session.scalar(select(func.count()).select_from(Transfer)),
        await session.scalar(select(func.count()).select_from(IdempotencyKey)),
        await session.scalar(select(ChainHead.hash)),
        await counters(session, await account_of(session, books, "resident_a")),
    )


async def test_a_closed_month_takes_no_back_dated_adjustment(
    api: Api, books: Books, session: AsyncSession
) -> None:
    # given 20 points booked in February, and February closed in March
    with clock.frozen(datetime(2026, 2, 12, 2, 0, tzinfo=UTC)):
        await grant(session, books, "resident_a", 20)
    with clock.frozen(NOW):
        admin = await api.sign_in(books.world.phones["community_admin"])
        closed = (await api(CLOSE, close_input(books, "2026-02"), token=admin)).data
        assert closed["ledgerMonthClose"] == {
            "closedMonth": {
                "month": "2026-02",
                "closedAt": "2026-03-10T04:00:00+00:00",
                "closedBy": {"name": "测试community_admin"},
            },
            "errors": [],
        }
        before = await books_state(session, books)

        # when an adjustment is back-dated into February
        late = adjust_input(books, "resident_a", 5, bookedOn="2026-02-20")
        refused = (await api(ADJUST, {"i": late}, token=admin)).data["ledgerAdjust"]

        # then it is refused, and nothing changed: no entry, no counter, no chain link, no key
        assert refused == {
            "transfer": None,
            "errors": [{"code": "PERIOD_CLOSED", "field": "bookedOn"}],
        }
        assert await books_state(session, books) == before
        stats = (await api(STATS, {"c": gid("OrgUnit", books.community_id)}, token=admin)).data
        assert [(r["month"], r["earned"]) for r in stats["pointsStatistics"]] == [
            ("2026-02-01", 20)
        ]

        # and the same request booked today goes through (the refused one left no key behind)
        today = adjust_input(books, "resident_a", 5)
        booked = (await api(ADJUST, {"i": today}, token=admin)).data["ledgerAdjust"]
        assert booked == {"transfer": {"amount": 5, "bookedOn": "2026-03-10"}, "errors": []}
        listed = await api(CLOSED, {"c": gid("OrgUnit", books.community_id)}, token=admin)
        assert listed.data["closedMonths"] == [
            {"month": "2026-02", "closedBy": {"name": "测试community_admin"}}
        ]


async def test_a_back_dated_adjustment_into_an_open_month_counts_in_that_month(
    api: Api, books: Books, session: AsyncSession
) -> None:
    with clock.frozen(NOW):
        admin = await api.sign_in(books.world.phones["community_admin"])
        # when January (still open) gets a correction, and March one too
        back = adjust_input(books, "resident_a", 7, bookedOn="2026-01-20")
        dated = (await api(ADJUST, {"i": back}, token=admin)).data["ledgerAdjust"]
        assert dated == {"transfer": {"amount": 7, "bookedOn": "2026-01-20"}, "errors": []}
        await api(ADJUST, {"i": adjust_input(books, "resident_a", 3)}, token=admin)
        await api(ADJUST, {"i": adjust_input(books, "resident_a", -2)}, token=admin)

        # then each counts in the month it is booked on
        stats = (await api(STATS, {"c": gid("OrgUnit", books.community_id)}, token=admin)).data
        assert stats["pointsStatistics"] == [
            {
                "month": "2026-01-01",
                "keyId": gid("Person", books.person("resident_a")),
                "earned": 7,
                "spent": 0,
            },
            {
                "month": "2026-03-01",
                "keyId": gid("Person", books.person("resident_a")),
                "earned": 3,
                "spent": 2,
            },
        ]

        # and a day after today is no booking day
        ahead = adjust_input(books, "resident_a", 1, bookedOn="2026-03-11")
        refused = (await api(ADJUST, {"i": ahead}, token=admin)).data["ledgerAdjust"]
        assert refused["errors"] == [{"code": "INVALID_VALUE", "field": "bookedOn"}]

    # the back-dated day is part of that posting's hash; a day implied by created_at is not
    postings = list(await session.scalars(select(Transfer).order_by(Transfer.seq)))
    fields = [{name: getattr(t, name) for name in verify.TRANSFER_FIELDS} for t in postings]
    assert [chain_hash(f) for f in fields] == [t.hash for t in postings]
    assert chain_hash({**fields[0], "booked_on": date(2026, 1, 21)}) != postings[0].hash
    assert chain_hash({k: v for k, v in fields[1].items() if k != "booked_on"}) == postings[1].hash
    assert (await verify.verify_database(session)).ok


async def test_only_a_month_that_is_over_closes_and_only_once(api: Api, books: Books) -> None:
    with clock.frozen(NOW):
        admin = await api.sign_in(books.world.phones["community_admin"])

        async def close(month: str, community: str = "C1") -> list[dict[str, Any]]:
            reply = await api(CLOSE, close_input(books, month, community), token=admin)
            errors: list[dict[str, Any]] = reply.data["ledgerMonthClose"]["errors"]
            return errors

        assert await close("2026-03") == [{"code": "INVALID_STATE", "field": "month"}]  # current
        assert await close("2026-04") == [{"code": "INVALID_STATE", "field": "month"}]
        assert await close("2026-13") == [{"code": "INVALID_VALUE", "field": "month"}]
        assert await close("March") == [{"code": "INVALID_VALUE", "field": "month"}]
        assert await close("2026-02", community="A") == [
            {"code": "WRONG_UNIT_KIND", "field": "communityId"}
        ]
        assert await close("2026-02") == []
        assert await close("2026-02") == [{"code": "INVALID_STATE", "field": "month"}]
        assert await close("2025-12") == []  # months close independently, in any order


async def test_who_may_close_a_month_and_see_the_closed_ones(api: Api, books: Books) -> None:
    community = gid("OrgUnit", books.community_id)
    with clock.frozen(NOW):
        for key in ("resident_a", "worker_a", "community_admin2", "member"):
            token = await api.sign_in(books.world.phones[key])
            reply = await api(CLOSE, close_input(books, "2026-02"), token=token)
            assert reply.data["ledgerMonthClose"]["errors"] == [
                {"code": "FORBIDDEN", "field": "communityId"}
            ], key
            assert (await api(CLOSED, {"c": community}, token=token)).error_codes == ["FORBIDDEN"]
        street = await api.sign_in(books.world.phones["street_admin"])
        closed = await api(CLOSE, close_input(books, "2026-01"), token=street)
        assert closed.data["ledgerMonthClose"]["errors"] == []
        listed = await api(CLOSED, {"c": community}, token=street)
        assert listed.data["closedMonths"] == [
            {"month": "2026-01", "closedBy": {"name": "测试street_admin"}}
        ]


async def test_the_database_refuses_a_booking_into_a_closed_month_whatever_the_clock(
    session: AsyncSession, books: Books
) -> None:
    # given February closed on 1 March
    with clock.frozen(datetime(2026, 3, 1, 1, 0, tzinfo=UTC)) as move:
        actor = await load_actor(session, books.person("community_admin"))
        assert actor is not None
        await periods.close_month(
            session, actor, community_id=books.community_id, month=date(2026, 2, 1)
        )
        await session.commit()
        with pytest.raises(DomainError) as refused:
            await periods.close_month(
                session, actor, community_id=books.community_id, month=date(2026, 2, 14)
            )
        assert refused.value.code is ErrorCode.INVALID_STATE
        await session.rollback()
        before = await books_state(session, books)

        # when a writer whose clock still says 28 February books "today" (the write path skips
        # its own check for the current month, so this is the trigger's refusal)
        move(datetime(2026, 2, 28, 15, 0, tzinfo=UTC))
        with pytest.raises(DomainError) as late:
            async with session.begin_nested():
                await grant(session, books, "resident_a", 4)
        assert (late.value.code, late.value.field) == (ErrorCode.PERIOD_CLOSED, "bookedOn")
        await session.rollback()

        # then nothing was written
        assert await books_state(session, books) == before
        assert (await verify.verify_database(session)).ok


async def test_booking_days_are_in_the_export_and_older_exports_still_verify(
    session: AsyncSession, books: Books
) -> None:
    with clock.frozen(NOW):
        await grant(session, books, "resident_a", 10)
        actor = await load_actor(session, books.person("community_admin"))
        assert actor is not None
        await admin.adjust(
            session,
            actor,
            person_id=books.person("resident_b"),
            point_kind=PointKind.GRID,
            amount=4,
            reason="补录一月份志愿服务",
            idempotency_key="back-dated",
            booked_on=date(2026, 1, 31),
        )
        await session.commit()
    community = await session.get(OrgUnit, books.community_id)
    assert community is not None
    exported = json.loads(json.dumps(await verify.export(session, community)))
    assert [t["booked_on"] for t in exported["transfers"]] == ["2026-03-10", "2026-01-31"]
    assert verify.verify_export(exported).ok

    # an export made before transfers had a booking day: the implied day hashes as before
    older = copy.deepcopy(exported)
    del older["transfers"][0]["booked_on"]
    assert verify.verify_export(older).ok
    # but a back-dated day is part of the hash, and so is any edit of a booking day
    for seq, day in ((2, None), (2, "2026-02-01"), (1, "2026-03-09")):
        edited = copy.deepcopy(exported)
        edited["transfers"][seq - 1]["booked_on"] = day
        broken = verify.verify_export(edited).broken
        assert broken is not None and broken.seq == seq, (seq, day)
    later = copy.deepcopy(exported)
    later["transfers"][0]["booked_on"] = "2026-03-11"
    assert verify.verify_export(later).problems == [
        f"transfer {later['transfers'][0]['id']}: booked on a day after it was written"
    ]
