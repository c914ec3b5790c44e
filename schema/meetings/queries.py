"""Queries over joint meetings, the public board and rankings."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.meetings.types import Grant, JointMeeting
from schema.relay import Connection, connection, decode_id, decode_optional_id
from services.meetings import grants as grant_service
from services.meetings import queries as meeting_queries
from services.pagination import DEFAULT_FIRST


@strawberry.type
class MeetingQuery:
    @strawberry.field(description="Joint meetings of your community (or in your staff scope).")
    async def meetings(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID | None = None,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[JointMeeting]:
        actor = await info.context.require_actor()
        community = decode_optional_id(community_id, "OrgUnit", field="communityId")
        page = await info.context.db(
            lambda s: meeting_queries.list_meetings(
                s, actor, community_id=community, first=first, after=after
            )
        )
        return connection(page, JointMeeting.from_model)

    @strawberry.field(description="The public board (公示栏) of a community: its grants.")
    async def board(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Grant]:
        await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        page = await info.context.db(
            lambda s: grant_service.board(s, community_id=community, first=first, after=after)
        )
        details = await info.context.db(
            lambda s: grant_service.details_by_ids(s, [g.id for g in page.items])
        )
        return connection(page, lambda grant: Grant.from_detail(details[grant.id]))
