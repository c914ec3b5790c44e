"""Who may see an order, who may claim it, and the scoped query behind both."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.errors import DomainError, ErrorCode
from services.orders.models import Claim, OrderScope, OrderState, VolunteerOrder
from services.orgs.models import Household, OrgUnit
from services.people.models import Person


def readable(actor: Actor) -> ColumnElement[bool]:
    """Staff read every order in their scope; everyone reads the published orders of their
    own community (drafts stay with staff)."""
    units = scope(actor, Permission.ORDER_READ)
    if units is ALL_UNITS:
        return VolunteerOrder.id.is_not(None)
    assert isinstance(units, frozenset)
    conditions: list[ColumnElement[bool]] = []
    if actor.community_id is not None:
        conditions.append(
            and_(
                VolunteerOrder.community_id == actor.community_id,
                VolunteerOrder.state != OrderState.DRAFT,
            )
        )
    if units:
        conditions.append(_staff_orders(units))
    return or_(false(), *conditions)


def _staff_orders(units: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    within = select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))
    return or_(VolunteerOrder.community_id.in_(within), VolunteerOrder.grid_id.in_(within))


def readable_claims(actor: Actor) -> ColumnElement[bool]:
    """Claims: your own, and every claim on an order you read as staff."""
    units = scope(actor, Permission.ORDER_READ)
    if units is ALL_UNITS:
        return Claim.id.is_not(None)
    assert isinstance(units, frozenset)
    conditions: list[ColumnElement[bool]] = [Claim.person_id == actor.person_id]
    if units:
        conditions.append(Claim.order_id.in_(select(VolunteerOrder.id).where(_staff_orders(units))))
    return or_(*conditions)


async def unit_path(session: AsyncSession, order: VolunteerOrder) -> list[uuid.UUID]:
    """The path of the unit the order is scoped to (its grid, or its community)."""
    unit = await session.get(OrgUnit, order.grid_id or order.community_id)
    assert unit is not None
    return list(unit.path)


async def require_manager(session: AsyncSession, actor: Actor, order: VolunteerOrder) -> None:
    if not allows(actor, Permission.ORDER_MANAGE, await unit_path(session, order)):
        raise DomainError(ErrorCode.FORBIDDEN)


async def require_in_scope(session: AsyncSession, actor: Actor, order: VolunteerOrder) -> None:
    """A claimant must belong to the order's community, and for a grid order live in the grid."""
    inside = await session.scalar(
        select(exists().where(VolunteerOrder.id == order.id, in_scope_of(actor)))
    )
    if not inside:
        raise DomainError(ErrorCode.NOT_IN_SCOPE)


def in_scope_of(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: orders whose scope includes the actor (their community's, or their grid's).
    The one statement of the rule: claiming checks it, lists and subscriptions filter by it."""
    if actor.community_id is None:
        return false()
    home_grid = select(Household.grid_id).where(Household.id == actor.household_id)
    return and_(
        VolunteerOrder.community_id == actor.community_id,
        or_(
            VolunteerOrder.scope == OrderScope.COMMUNITY,
            VolunteerOrder.grid_id.in_(home_grid),
        ),
    )


def people_in_scope(order: VolunteerOrder) -> Select[uuid.UUID]:
    """The people :func:`in_scope_of` lets see ``order``, from the order's side (the same rule:
    its community's people, and for a grid order those living in the grid)."""
    stmt = select(Person.id).where(
        Person.community_id == order.community_id, Person.is_active.is_(True)
    )
    if order.scope is not OrderScope.COMMUNITY:
        stmt = stmt.where(
            Person.household_id.in_(select(Household.id).where(Household.grid_id == order.grid_id))
        )
    return stmt


def scope_key(actor: Actor) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """Everything :func:`in_scope_of` reads of the actor (the community, and the household
    whose grid decides): actors with one key see the same orders. None: no orders at all."""
    return (actor.community_id, actor.household_id) if actor.community_id else None


def claimable_by(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: published orders whose scope includes the actor (deadline aside)."""
    return and_(VolunteerOrder.state == OrderState.PUBLISHED, in_scope_of(actor))
