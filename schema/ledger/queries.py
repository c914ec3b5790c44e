"""Queries over the ledger: ``myLedger``, ``communityLedger`` and ``closedMonths``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.ledger.types import LedgerClosedMonth, LedgerTransfer, MyLedger
from schema.relay import Connection, connection, decode_id
from services.ledger import periods
from services.ledger import queries as ledger_queries
from services.pagination import DEFAULT_FIRST


@strawberry.type
class LedgerQuery:
    @strawberry.field(description="我的积分: your balances and entries (only ever your own).")
    async def my_ledger(self, info: Info[Context, None]) -> MyLedger:
        actor = await info.context.require_actor()
        return MyLedger(person_local_id=actor.person_id)

    @strawberry.field(
        description="A community's whole ledger, newest first: for its admins and those above."
    )
    async def community_ledger(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[LedgerTransfer]:
        actor = await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        page = await info.context.db(
            lambda s: ledger_queries.community_entries(
                s, actor, community_id=community, first=first, after=after
            )
        )
        return connection(page, LedgerTransfer.from_model)

    @strawberry.field(
        description="A community's closed months, latest first: for its admins and those above."
    )
    async def closed_months(
        self, info: Info[Context, None], community_id: strawberry.ID
    ) -> list[LedgerClosedMonth]:
        actor = await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        found = await info.context.db(
            lambda s: periods.closed_months(s, actor, community_id=community)
        )
        return [LedgerClosedMonth.from_model(closed) for closed in found]
