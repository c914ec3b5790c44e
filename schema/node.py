"""``node(id:)``: any object by global ID, through the same scoped reads as the lists.

An ID that is well formed but names nothing the actor may see answers null, whether the object
is missing or out of scope, so the lookup reveals nothing a list would not.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.catalog import types as catalog_types
from schema.context import Context
from schema.demands.types import Demand
from schema.demands.wishes import Wish
from schema.ledger.types import LedgerTransfer
from schema.meetings.types import JointMeeting
from schema.orders.types import Claim, VolunteerOrder
from schema.orgs.types import Household, OrgUnit
from schema.people.types import Person, RoleAssignment
from schema.redemptions.types import Redemption
from schema.registration.types import RegistrationApplication
from schema.relay import Node, from_global_id
from services.authz import Actor
from services.catalog import models as catalog_models
from services.catalog import queries as catalog_queries
from services.demands import queries as demand_queries
from services.demands import wishes as wish_service
from services.ledger import queries as ledger_queries
from services.meetings import queries as meeting_queries
from services.orders import claims as claim_service
from services.orders import service as order_service
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.people import service as people_service
from services.redemptions import queries as redemption_queries
from services.registration import queries as registration_queries

Resolver = Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[Node | None]]


async def _unit(session: AsyncSession, actor: Actor, unit_id: uuid.UUID) -> Node | None:
    unit = await org_service.get_unit(session, unit_id)
    return OrgUnit.from_model(unit) if unit else None


async def _household(session: AsyncSession, actor: Actor, household_id: uuid.UUID) -> Node | None:
    household = await household_service.get_household(session, actor, household_id)
    return Household.from_model(household) if household else None


async def _person(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> Node | None:
    person = await people_service.get_person(session, actor, person_id)
    return Person.from_model(person) if person else None


async def _role(session: AsyncSession, actor: Actor, assignment_id: uuid.UUID) -> Node | None:
    assignment = await people_service.get_role_assignment(session, actor, assignment_id)
    return RoleAssignment.from_model(assignment) if assignment else None


async def _order(session: AsyncSession, actor: Actor, order_id: uuid.UUID) -> Node | None:
    order = await order_service.find_order(session, actor, order_id)
    return VolunteerOrder.from_model(order) if order else None


async def _claim(session: AsyncSession, actor: Actor, claim_id: uuid.UUID) -> Node | None:
    claim = (await claim_service.claims_by_ids(session, actor, [claim_id])).get(claim_id)
    if claim is None:
        return None
    positions = await claim_service.waitlist_positions(session, [claim])
    return Claim.from_model(claim, positions.get(claim.id))


async def _meeting(session: AsyncSession, actor: Actor, meeting_id: uuid.UUID) -> Node | None:
    meeting = await meeting_queries.get_meeting(session, actor, meeting_id)
    return JointMeeting.from_model(meeting) if meeting else None


async def _ledger_transfer(
    session: AsyncSession, actor: Actor, transfer_id: uuid.UUID
) -> Node | None:
    transfer = await ledger_queries.get_transfer(session, actor, transfer_id)
    return LedgerTransfer.from_model(transfer, viewer=actor.person_id) if transfer else None


async def _demand(session: AsyncSession, actor: Actor, demand_id: uuid.UUID) -> Node | None:
    demand = await demand_queries.get_demand(session, actor, demand_id)
    return Demand.from_model(demand) if demand else None


async def _wish(session: AsyncSession, actor: Actor, wish_id: uuid.UUID) -> Node | None:
    wish = await wish_service.get(session, actor, wish_id)
    return Wish.from_model(wish) if wish else None


async def _goods(session: AsyncSession, actor: Actor, goods_id: uuid.UUID) -> Node | None:
    found = await catalog_queries.get_visible(session, actor, catalog_models.Goods, goods_id)
    return catalog_types.Goods.from_model(found) if found else None  # type: ignore[arg-type]


async def _venue(session: AsyncSession, actor: Actor, venue_id: uuid.UUID) -> Node | None:
    found = await catalog_queries.get_visible(session, actor, catalog_models.Venue, venue_id)
    return catalog_types.Venue.from_model(found) if found else None  # type: ignore[arg-type]


async def _service(session: AsyncSession, actor: Actor, service_id: uuid.UUID) -> Node | None:
    found = await catalog_queries.get_visible(session, actor, catalog_models.Service, service_id)
    return catalog_types.Service.from_model(found) if found else None  # type: ignore[arg-type]


async def _service_session(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID
) -> Node | None:
    found = await catalog_queries.get_visible(
        session, actor, catalog_models.ServiceSession, session_id
    )
    return (
        catalog_types.ServiceSession.from_model(found)  # type: ignore[arg-type]
        if found
        else None
    )


async def _redemption(session: AsyncSession, actor: Actor, redemption_id: uuid.UUID) -> Node | None:
    found = await redemption_queries.redemptions_by_ids(session, actor, [redemption_id])
    return Redemption.from_model(found[redemption_id]) if redemption_id in found else None


async def _registration(
    session: AsyncSession, actor: Actor, application_id: uuid.UUID
) -> Node | None:
    found = await registration_queries.applications_by_ids(session, actor, [application_id])
    return (
        RegistrationApplication.from_model(found[application_id])
        if application_id in found
        else None
    )


RESOLVERS: dict[str, Resolver] = {
    "OrgUnit": _unit,
    "Household": _household,
    "Person": _person,
    "RoleAssignment": _role,
    "VolunteerOrder": _order,
    "Claim": _claim,
    "JointMeeting": _meeting,
    "LedgerTransfer": _ledger_transfer,
    "Goods": _goods,
    "Venue": _venue,
    "Service": _service,
    "ServiceSession": _service_session,
    "Redemption": _redemption,
    "Demand": _demand,
    "Wish": _wish,
    "RegistrationApplication": _registration,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null if absent or not yours to see."
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        actor = await info.context.require_actor()
        type_name, local_id = from_global_id(id)
        resolver = RESOLVERS.get(type_name)
        if resolver is None:
            return None
        return await info.context.db(lambda s: resolver(s, actor, local_id))
