"""Annual selection (frozen at year end) and monthly points statistics, on the demo history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.seed import seed_demo
from services import clock
from services.ledger.models import Account, AccountType
from tests.support import Api

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)
RANKING = """query($c: ID!, $y: Int) { ranking(communityId: $c, year: $y, first: 20) {
  year frozen entries { rank maskedName points hours } } }"""
CLOSE = """mutation($i: AnnualSelectionCloseInput!) { annualSelectionClose(input: $i) {
  ranking { frozen entries { rank points } } errors { code field } } }"""
STATS = """query($c: ID!, $g: StatisticsGroupBy!) { pointsStatistics(communityId: $c, year: 2026, groupBy: $g) {
  month keyId pointKind earned spent } }"""
COMMUNITY = """{ orgUnits(kind: COMMUNITY) { nodes { id code } } }"""


async def test_selection_is_live_then_frozen_and_statistics_add_up(
    api: Api, session: AsyncSession
) -> None:
    with clock.frozen(NOW) as move:
        await seed_demo(session, "gridpoints2026")
        await session.commit()
        admin = await api.sign_in("13800000011", "gridpoints2026")
        c1 = next(
            n["id"]
            for n in (await api(COMMUNITY, token=admin)).data["orgUnits"]["nodes"]
            if n["code"] == "DX-C1"
        )
        live = (await api(RANKING, {"c": c1, "y": 2026}, token=admin)).data["ranking"]
        assert live["frozen"] is False
        # the May meeting's 10 grants are posted (one adjusted to 15); June's 5 are in publicity
        assert [e["points"] for e in live["entries"]] == [15] + [10] * 9
        assert [e["rank"] for e in live["entries"]] == [1] + [2] * 9
        assert all(
            e["hours"] == 3.2 for e in live["entries"]
        )  # 08:55 to 12:05 Shanghai time: 190 minutes

        too_early = await api(CLOSE, {"i": {"communityId": c1, "year": 2026}}, token=admin)
        assert too_early.data["annualSelectionClose"]["errors"] == [
            {"code": "INVALID_STATE", "field": "year"}
        ]

        community = (await api(STATS, {"c": c1, "g": "COMMUNITY"}, token=admin)).data[
            "pointsStatistics"
        ]
        # the statistics add up to the ledger: 105 points of May grants, 15 demo awards of 120
        # (so residents can shop), and what the demo redemptions posted to the exchange
        credits, debits = (
            await session.execute(
                select(func.sum(Account.credits_posted), func.sum(Account.debits_posted)).where(
                    Account.type == AccountType.PERSON
                )
            )
        ).one()
        assert credits == 105 + 15 * 120
        assert sum(row["earned"] for row in community) == credits
        assert sum(row["spent"] for row in community) == debits
        assert debits > 0
        people = (await api(STATS, {"c": c1, "g": "PERSON"}, token=admin)).data["pointsStatistics"]
        assert sum(row["earned"] for row in people) == credits
        assert sum(row["spent"] for row in people) == debits
        grids = (await api(STATS, {"c": c1, "g": "GRID"}, token=admin)).data["pointsStatistics"]
        assert sum(row["earned"] for row in grids) == credits
        assert sum(row["spent"] for row in grids) == debits
        assert len({row["keyId"] for row in grids}) < len({row["keyId"] for row in people})

        resident = await api.sign_in("13900000001", "gridpoints2026")
        denied = await api(STATS, {"c": c1, "g": "PERSON"}, token=resident)
        assert denied.error_codes == ["FORBIDDEN"]

        # a new year: the June grants have posted since; closing freezes what the year earned
        move(datetime(2027, 1, 2, 2, 0, tzinfo=UTC))
        closed = await api(CLOSE, {"i": {"communityId": c1, "year": 2026}}, token=admin)
        frozen = closed.data["annualSelectionClose"]["ranking"]
        assert frozen["frozen"] is True
        assert (
            sorted((e["points"] for e in frozen["entries"]), reverse=True)
            == [15, 13] + [10] * 9 + [8] * 4
        )
        again = await api(CLOSE, {"i": {"communityId": c1, "year": 2026}}, token=admin)
        assert again.data["annualSelectionClose"]["errors"] == [
            {"code": "INVALID_STATE", "field": "year"}
        ]
        later = (await api(RANKING, {"c": c1, "y": 2026}, token=resident)).data["ranking"]
        assert later["frozen"] is True
        assert len(later["entries"]) == 15
