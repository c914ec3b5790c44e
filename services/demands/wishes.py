"""The wish wall (微心愿墙) of a grid: residents post wishes, neighbours support them, and the grid
turns one into a demand (the grid worker reports it on the author's behalf) or into a draft
volunteer order (someone who may publish orders for the grid: the grid leader or a community
admin), or declines it with a reason. The author may withdraw an open wish.

Who sees a grid's wall: the people of its community (the neighbours) and staff over the grid.
Support is one per person (a primary key), never for one's own wish, only while the wish is open;
the count is kept on the wish by an atomic increment, so concurrent supporters are all counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services import clock, validation
from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.db import Base, created_at, pg_enum, uuid_pk
from services.demands import service as demand_service
from services.demands.models import NOTE_MAX, Demand, DemandType, Urgency
from services.errors import DomainError, ErrorCode
from services.orders import service as order_service
from services.orders.models import VolunteerOrder
from services.orgs.models import Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.pagination import Page, check_first, keyset_page

TITLE_MAX = 40
CONTENT_MAX = 1000


class WishState(StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"  # turned into a demand or an order
    DECLINED = "declined"  # by the grid, with a reason
    WITHDRAWN = "withdrawn"  # by the author


class Wish(Base):
    __tablename__ = "wish"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content: Mapped[str] = mapped_column(String(CONTENT_MAX))
    state: Mapped[WishState] = mapped_column(pg_enum(WishState, "wish_state"))
    supporters: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    demand_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("demand.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("volunteer_order.id"))
    handled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_wish_grid_created", "grid_id", "created_at", "id"),)


class WishSupport(Base):
    __tablename__ = "wish_support"

    wish_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("wish.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), primary_key=True)
    created_at: Mapped[datetime] = created_at()


def readable(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the wishes ``actor`` may see (their community's, or staff over the grid)."""
    staff = scope(actor, Permission.DEMAND_READ)
    if staff is ALL_UNITS:
        return Wish.id.is_not(None)
    assert isinstance(staff, frozenset)
    conditions: list[ColumnElement[bool]] = [Wish.author_id == actor.person_id]
    if actor.community_id is not None:
        conditions.append(Wish.community_id == actor.community_id)
    if staff:
        within = select(OrgUnit.id).where(OrgUnit.path.overlap(list(staff)))
        conditions.append(Wish.grid_id.in_(within))
    return or_(false(), *conditions)


async def post(session: AsyncSession, actor: Actor, *, title: str, content: str) -> Wish:
    """A resident posts a wish on their own grid's wall."""
    if actor.household_id is None:
        raise DomainError(ErrorCode.WISH_NEEDS_HOUSEHOLD)
    household = await session.get(Household, actor.household_id)
    assert household is not None
    wish = Wish(
        id=uuid.uuid4(),
        community_id=household.community_id,
        grid_id=household.grid_id,
        author_id=actor.person_id,
        title=validation.required_text(title, field="title", max_length=TITLE_MAX),
        content=validation.required_text(content, field="content", max_length=CONTENT_MAX),
        state=WishState.OPEN,
        supporters=0,
    )
    session.add(wish)
    await session.flush()
    return wish


async def get(session: AsyncSession, actor: Actor, wish_id: uuid.UUID) -> Wish | None:
    found: Wish | None = await session.scalar(
        select(Wish).where(Wish.id == wish_id, readable(actor))
    )
    return found


async def wishes_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Wish]:
    rows = await session.scalars(select(Wish).where(Wish.id.in_(ids), readable(actor)))
    return {wish.id: wish for wish in rows}


async def _locked(session: AsyncSession, actor: Actor, wish_id: uuid.UUID) -> Wish:
    wish = await session.scalar(
        select(Wish)
        .where(Wish.id == wish_id, readable(actor))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if wish is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="wishId")
    return wish


def _open(wish: Wish) -> None:
    if wish.state is not WishState.OPEN:
        raise DomainError(ErrorCode.INVALID_STATE, field="wishId")


async def support(session: AsyncSession, actor: Actor, *, wish_id: uuid.UUID) -> Wish:
    wish = await get(session, actor, wish_id)
    if wish is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="wishId")
    if wish.author_id == actor.person_id:
        raise DomainError(ErrorCode.OWN_WISH, field="wishId")
    _open(wish)
    added = await session.scalar(
        insert(WishSupport)
        .values(wish_id=wish.id, person_id=actor.person_id)
        .on_conflict_do_nothing()
        .returning(WishSupport.person_id)
    )
    if added is None:
        raise DomainError(ErrorCode.ALREADY_SUPPORTED, field="wishId")
    # the state is checked again under the row's own update: a wish adopted meanwhile refuses
    supported: Wish | None = await session.scalar(
        update(Wish)
        .where(Wish.id == wish.id, Wish.state == WishState.OPEN)
        .values(supporters=Wish.supporters + 1)
        .returning(Wish)
        .execution_options(populate_existing=True)
    )
    if supported is None:
        raise DomainError(ErrorCode.INVALID_STATE, field="wishId")
    return supported


async def supported_by(
    session: AsyncSession, actor: Actor, wish_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, bool]:
    """Which of the wishes the actor supports (every asked id answers)."""
    mine = set(
        await session.scalars(
            select(WishSupport.wish_id).where(
                WishSupport.person_id == actor.person_id, WishSupport.wish_id.in_(wish_ids)
            )
        )
    )
    return {wish_id: wish_id in mine for wish_id in wish_ids}


async def wall(
    session: AsyncSession,
    actor: Actor,
    *,
    grid_id: uuid.UUID,
    states: Sequence[WishState] = (),
    first: int,
    after: str | None,
) -> Page[Wish]:
    """A grid's wall, oldest first (a keyset page); its supporters' count is on each wish."""
    grid = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field="gridId")
    if grid.community_id != actor.community_id and not allows(
        actor, Permission.DEMAND_READ, grid.path
    ):
        raise DomainError(ErrorCode.FORBIDDEN, field="gridId")
    stmt = select(Wish).where(Wish.grid_id == grid.id, readable(actor))
    if states:
        stmt = stmt.where(Wish.state.in_(list(states)))
    return await keyset_page(
        session, stmt, [Wish.created_at, Wish.id], first=check_first(first), after=after
    )


def _handled(wish: Wish, actor: Actor, state: WishState, reason: str | None = None) -> None:
    wish.state = state
    wish.handled_by = actor.person_id
    wish.handled_at = clock.now()
    wish.reason = reason


async def adopt_as_demand(
    session: AsyncSession,
    actor: Actor,
    *,
    wish_id: uuid.UUID,
    category_id: uuid.UUID,
    type: DemandType = DemandType.HELP,
    urgency: Urgency = Urgency.NORMAL,
) -> tuple[Wish, Demand]:
    """The grid worker reports the wish as a demand on its author's behalf."""
    wish = await _locked(session, actor, wish_id)
    _open(wish)
    demand = await demand_service.report(
        session,
        actor,
        type=type,
        category_id=category_id,
        description=f"{wish.title}\n{wish.content}",
        urgency=urgency,
        grid_id=wish.grid_id,
        on_behalf_of=wish.author_id,
    )
    wish.demand_id = demand.id
    _handled(wish, actor, WishState.ADOPTED)
    await session.flush()
    return wish, demand


async def adopt_as_order(
    session: AsyncSession, actor: Actor, *, wish_id: uuid.UUID, draft: order_service.OrderDraft
) -> tuple[Wish, VolunteerOrder]:
    """A draft volunteer order for the wish's grid (published later like any order); a blank
    title or content takes the wish's."""
    order_service.check_times(draft)  # before the wish is looked up (issue 13, item 6)
    wish = await _locked(session, actor, wish_id)
    _open(wish)
    draft = replace(draft, title=draft.title or wish.title, content=draft.content or wish.content)
    order = await order_service.create_order(session, actor, unit_id=wish.grid_id, draft=draft)
    wish.order_id = order.id
    _handled(wish, actor, WishState.ADOPTED)
    await session.flush()
    return wish, order


async def decline(session: AsyncSession, actor: Actor, *, wish_id: uuid.UUID, reason: str) -> Wish:
    wish = await _locked(session, actor, wish_id)
    grid = await session.get(OrgUnit, wish.grid_id)
    assert grid is not None
    if not allows(actor, Permission.DEMAND_HANDLE_GRID, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="wishId")
    _open(wish)
    cleaned = validation.text(reason, field="reason", max_length=NOTE_MAX, required=False)
    if not cleaned:
        raise DomainError(ErrorCode.REASON_REQUIRED, field="reason")
    _handled(wish, actor, WishState.DECLINED, cleaned)
    await session.flush()
    return wish


async def withdraw(session: AsyncSession, actor: Actor, *, wish_id: uuid.UUID) -> Wish:
    wish = await _locked(session, actor, wish_id)
    if wish.author_id != actor.person_id:
        raise DomainError(ErrorCode.FORBIDDEN, field="wishId")
    _open(wish)
    _handled(wish, actor, WishState.WITHDRAWN)
    await session.flush()
    return wish
