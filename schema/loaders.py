"""DataLoaders, built per request: one batched query per relation, whatever the list length."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from services.authz import Actor
from services.catalog import queries as catalog_queries
from services.demands import queries as demand_queries
from services.demands import service as demand_service
from services.demands import timeline as demand_timeline
from services.demands import wishes as wish_service
from services.meetings import grants as grant_service
from services.meetings import queries as meeting_queries
from services.orders import claims as claim_service
from services.orders import service as order_service
from services.orgs import center_households
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.people import service as people_service
from services.redemptions import queries as redemption_queries

if TYPE_CHECKING:
    from schema.context import Context

V = TypeVar("V")
Fetch = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, V]]]
ScopedFetch = Callable[[AsyncSession, Actor, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, V]]]


class Loaders:
    """Loaders for the relations a list can reach. Scoped ones see only what the actor may."""

    def __init__(self, context: Context, actor: Actor | None) -> None:
        self._context = context
        self._actor = actor
        self.unit = self._by_id(org_service.units_by_ids)
        self.household = self._scoped(household_service.households_by_ids)
        self.person = self._scoped(people_service.people_by_ids)
        self.members = self._grouped(people_service.members_of_households)
        self.roles = self._grouped(people_service.roles_of_people)
        self.center_household = self._by_id(center_households.views_by_ids)
        self.order = self._scoped(order_service.orders_by_ids)
        self.claim = self._scoped(claim_service.claims_by_ids)
        self.name = self._by_id(people_service.names_by_ids)
        self.meeting_members = self._grouped(meeting_queries.members_of)
        self.agenda = self._grouped(meeting_queries.agenda_of)
        self.votes = self._grouped(meeting_queries.votes_of)
        self.grant_by_item = self._by_id(meeting_queries.grants_by_items)
        self.grant_detail = self._by_id(grant_service.details_by_ids)
        self.goods = self._by_id(catalog_queries.goods_by_ids)
        self.venue = self._by_id(catalog_queries.venues_by_ids)
        self.venue_hours = self._grouped(catalog_queries.openings_of)
        self.service = self._by_id(catalog_queries.services_by_ids)
        self.service_session = self._by_id(catalog_queries.sessions_by_ids)
        self.redemption = self._scoped(redemption_queries.redemptions_by_ids)
        self.redemption_lines = self._grouped(redemption_queries.lines_of)
        self.redemption_booking = self._by_id(redemption_queries.bookings_of)
        self.demand = self._scoped(demand_queries.demands_by_ids)
        self.demand_category = self._by_id(demand_queries.categories_by_ids)
        self.demand_events = self._grouped(demand_timeline.events_of)
        self.event_photos = self._grouped(demand_timeline.photos_of_events)
        self.demand_assignments = self._grouped(demand_queries.assignments_of)
        self.demand_breaches = self._grouped(demand_queries.breaches_by_ids)
        self.service_levels = self._grouped(demand_service.service_levels_of)
        self.wish_supported = self._scoped(wish_service.supported_by)

    def _by_id(self, fetch: Fetch[V]) -> DataLoader[uuid.UUID, V | None]:
        async def load(keys: list[uuid.UUID]) -> list[V | None]:
            found = await self._context.db(lambda s: fetch(s, keys))
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    def _grouped(self, fetch: Fetch[list[V]]) -> DataLoader[uuid.UUID, list[V]]:
        async def load(keys: list[uuid.UUID]) -> list[list[V]]:
            found = await self._context.db(lambda s: fetch(s, keys))
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    def _scoped(self, fetch: ScopedFetch[V]) -> DataLoader[uuid.UUID, V | None]:
        actor = self._actor

        async def load(keys: list[uuid.UUID]) -> list[V | None]:
            if actor is None:
                return [None] * len(keys)
            found = await self._context.db(lambda s: fetch(s, actor, keys))
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)
