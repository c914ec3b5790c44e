"""Reports: the annual selection and monthly points statistics."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.ledger.types import PointKind
from schema.mutations import perform
from schema.people.types import mask_name
from schema.relay import decode_id, decode_optional_id, to_global_id
from services import clock
from services.errors import DomainError, ErrorCode
from services.reports import points as points_report
from services.reports import selection

GroupBy = strawberry.enum(points_report.GroupBy, name="StatisticsGroupBy")


@strawberry.type(description="A place in the annual selection (年度评选); names are masked.")
class RankingEntry:
    rank: int
    masked_name: str
    points: int
    hours: float


@strawberry.type
class Ranking:
    year: int
    frozen: bool = strawberry.field(description="True once the community closed the year.")
    entries: list[RankingEntry]


@strawberry.type(description="Points earned and spent in a month (月统计).")
class MonthStatistics:
    month: date
    key_id: strawberry.ID | None = strawberry.field(
        description="The person, grid or community the row is about."
    )
    point_kind: PointKind  # type: ignore[valid-type]
    earned: int
    spent: int


@strawberry.input
class AnnualSelectionCloseInput:
    community_id: strawberry.ID
    year: int


@strawberry.type
class AnnualSelectionClosePayload:
    ranking: Ranking | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


async def _ranking(
    info: Info[Context, None],
    community: uuid.UUID,
    year: int,
    grid: uuid.UUID | None,
    first: int,
) -> Ranking:
    rows, frozen = await info.context.db(
        lambda s: selection.ranking(s, community_id=community, year=year, grid_id=grid, limit=first)
    )
    names = await (await info.context.loaders()).name.load_many([r.person_id for r in rows])
    return Ranking(
        year=year,
        frozen=frozen,
        entries=[
            RankingEntry(
                rank=r.rank, masked_name=mask_name(n or ""), points=r.points, hours=r.hours
            )
            for r, n in zip(rows, names, strict=True)
        ],
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Annual selection: top volunteers of a community (or a grid).")
    async def ranking(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID,
        year: int | None = None,
        grid_id: strawberry.ID | None = None,
        first: int = 20,
    ) -> Ranking:
        await info.context.require_actor()
        if not 0 < first <= 100:
            raise DomainError(ErrorCode.FIRST_OUT_OF_RANGE, field="first", max=100)
        community = decode_id(community_id, "OrgUnit", field="communityId")
        grid = decode_optional_id(grid_id, "OrgUnit", field="gridId")
        return await _ranking(
            info,
            community,
            year if year is not None else clock.local_date(clock.now()).year,
            grid,
            first,
        )

    @strawberry.field(description="Monthly points statistics of a community (staff).")
    async def points_statistics(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID,
        year: int,
        group_by: GroupBy = points_report.GroupBy.COMMUNITY,  # type: ignore[valid-type]
    ) -> list[MonthStatistics]:
        actor = await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        rows = await info.context.db(
            lambda s: points_report.monthly(
                s, actor, community_id=community, year=year, group_by=group_by
            )
        )
        type_name = "Person" if group_by is points_report.GroupBy.PERSON else "OrgUnit"
        return [
            MonthStatistics(
                month=r.month,
                key_id=to_global_id(type_name, r.key) if r.key else None,
                point_kind=r.kind,
                earned=r.earned,
                spent=r.spent,
            )
            for r in rows
        ]


@strawberry.type
class ReportMutation:
    @strawberry.mutation(description="Close a year: its annual selection is frozen as it stands.")
    async def annual_selection_close(
        self, info: Info[Context, None], input: AnnualSelectionCloseInput
    ) -> AnnualSelectionClosePayload:
        closed, errors = await perform(
            info,
            lambda s, actor: selection.close_year(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                year=input.year,
            ),
        )
        if closed is None:
            return AnnualSelectionClosePayload(errors=list(errors))
        return AnnualSelectionClosePayload(
            ranking=await _ranking(info, closed.community_id, input.year, None, 100)
        )
