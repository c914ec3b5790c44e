"""GraphQL types of demands, their timelines, breaches, department assignments and photos."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.orgs.types import OrgUnit
from schema.relay import Node, to_global_id
from services import clock
from services.demands import levels, models
from services.demands.queries import BreachView

DemandType = strawberry.enum(models.DemandType, name="DemandType")
Urgency = strawberry.enum(models.Urgency, name="DemandUrgency")
DemandLevel = strawberry.enum(models.DemandLevel, name="DemandLevel")
DemandStatus = strawberry.enum(levels.DemandStatus, name="DemandStatus")
Stage = strawberry.enum(models.Stage, name="DemandStage")
Outcome = strawberry.enum(models.Outcome, name="DemandOutcome")
AssignmentRole = strawberry.enum(models.AssignmentRole, name="DemandAssignmentRole")
EventKind = strawberry.enum(models.EventKind, name="DemandEventKind")


@strawberry.type(description="Minutes per stage for a category and urgency (服务时限).")
class DemandServiceLevel:
    urgency: Urgency  # type: ignore[valid-type]
    respond_minutes: int = strawberry.field(description="Accept (be on site) within.")
    resolve_minutes: int = strawberry.field(description="Solve at the grid within.")
    recovery_minutes: int = strawberry.field(description="Solve above the grid within.")
    is_default: bool = strawberry.field(description='The "3 1" defaults: nothing set yet.')

    @classmethod
    def from_model(cls, level: models.ServiceLevel) -> DemandServiceLevel:
        return cls(
            urgency=level.urgency,
            respond_minutes=level.respond_minutes,
            resolve_minutes=level.resolve_minutes,
            recovery_minutes=level.recovery_minutes,
            is_default=level.community_id is None,
        )


@strawberry.type(description="A community's demand category (诉求类别).")
class DemandCategory:
    id: strawberry.ID
    local_id: strawberry.Private[uuid.UUID]
    name: str

    @classmethod
    def from_model(cls, category: models.DemandCategory) -> DemandCategory:
        return cls(
            id=to_global_id("DemandCategory", category.id), local_id=category.id, name=category.name
        )

    @strawberry.field(description="Its service levels, normal and urgent.")
    async def service_levels(self, info: Info[Context, None]) -> list[DemandServiceLevel]:
        rows = await (await info.context.loaders()).service_levels.load(self.local_id)
        return [DemandServiceLevel.from_model(row) for row in rows]


@strawberry.type(description="A photo; `url` serves it to those who may see its demand.")
class DemandPhoto:
    id: strawberry.ID
    content_type: str
    size: int

    @classmethod
    def from_model(cls, photo: models.DemandPhoto) -> DemandPhoto:
        return cls(
            id=to_global_id("DemandPhoto", photo.id),
            content_type=photo.content_type,
            size=photo.size,
        )

    @strawberry.field
    def url(self) -> str:
        return f"/photos/{self.id}"


async def _unit(info: Info[Context, None], unit_id: uuid.UUID | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = await (await info.context.loaders()).unit.load(unit_id)
    return OrgUnit.from_model(unit) if unit else None


async def _name(info: Info[Context, None], person_id: uuid.UUID | None) -> str | None:
    if person_id is None:
        return None
    return await (await info.context.loaders()).name.load(person_id)


@strawberry.type(description="One step on a demand's timeline: who, when, what, photos.")
class DemandEvent:
    local_id: strawberry.Private[uuid.UUID]
    actor_local_id: strawberry.Private[uuid.UUID | None]
    unit_local_id: strawberry.Private[uuid.UUID | None]
    kind: EventKind  # type: ignore[valid-type]
    level: DemandLevel  # type: ignore[valid-type]
    at: datetime
    note: str | None

    @classmethod
    def from_model(cls, event: models.DemandEvent) -> DemandEvent:
        return cls(
            local_id=event.id,
            actor_local_id=event.actor_id,
            unit_local_id=event.unit_id,
            kind=event.kind,
            level=event.level,
            at=event.at,
            note=event.note,
        )

    @strawberry.field(description="Who acted; null when the clock did (a breach, an escalation).")
    async def actor_name(self, info: Info[Context, None]) -> str | None:
        return await _name(info, self.actor_local_id)

    @strawberry.field(description="The unit concerned: where it went, or who acted.")
    async def unit(self, info: Info[Context, None]) -> OrgUnit | None:
        return await _unit(info, self.unit_local_id)

    @strawberry.field
    async def photos(self, info: Info[Context, None]) -> list[DemandPhoto]:
        rows = await (await info.context.loaders()).event_photos.load(self.local_id)
        return [DemandPhoto.from_model(photo) for photo in rows]


@strawberry.type(description="A missed stage deadline: which level, which stage, by how long.")
class DemandBreach:
    level: DemandLevel  # type: ignore[valid-type]
    stage: Stage  # type: ignore[valid-type]
    due_at: datetime
    recorded_at: datetime | None = strawberry.field(
        description="When it was written down; null while only the clock knows it."
    )
    late_by_minutes: int = strawberry.field(
        description="How far past the deadline it was when recorded (or is now, if not yet)."
    )
    unit_local_id: strawberry.Private[uuid.UUID | None]
    person_local_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_view(cls, breach: BreachView) -> DemandBreach:
        until = breach.recorded_at or clock.now()
        return cls(
            level=breach.level,
            stage=breach.stage,
            due_at=breach.due_at,
            recorded_at=breach.recorded_at,
            late_by_minutes=max(0, int((until - breach.due_at).total_seconds() // 60)),
            unit_local_id=breach.unit_id,
            person_local_id=breach.person_id,
        )

    @strawberry.field(description="The unit that held the demand.")
    async def unit(self, info: Info[Context, None]) -> OrgUnit | None:
        return await _unit(info, self.unit_local_id)

    @strawberry.field(description="The person who held it, if one had accepted it.")
    async def person_name(self, info: Info[Context, None]) -> str | None:
        return await _name(info, self.person_local_id)


@strawberry.type(description="A department summoned by the street (吹哨) and how it reported.")
class DemandAssignment:
    department_local_id: strawberry.Private[uuid.UUID]
    role: AssignmentRole  # type: ignore[valid-type]
    assigned_at: datetime
    accepted_at: datetime | None
    reported_in_at: datetime | None
    replied_at: datetime | None
    reply: str | None
    returned_at: datetime | None

    @classmethod
    def from_model(cls, row: models.DemandAssignment) -> DemandAssignment:
        return cls(
            department_local_id=row.department_id,
            role=row.role,
            assigned_at=row.assigned_at,
            accepted_at=row.accepted_at,
            reported_in_at=row.reported_in_at,
            replied_at=row.replied_at,
            reply=row.reply,
            returned_at=row.returned_at,
        )

    @strawberry.field
    async def department(self, info: Info[Context, None]) -> OrgUnit | None:
        return await _unit(info, self.department_local_id)


@strawberry.type(description="A resident's demand (诉求), as it stands now by the clock.")
class Demand(Node):
    local_id: strawberry.Private[uuid.UUID]
    category_local_id: strawberry.Private[uuid.UUID]
    grid_local_id: strawberry.Private[uuid.UUID]
    owner_local_id: strawberry.Private[uuid.UUID | None]
    type: DemandType  # type: ignore[valid-type]
    description: str
    address: str | None
    urgency: Urgency  # type: ignore[valid-type]
    reported_on_behalf: bool
    status: DemandStatus  # type: ignore[valid-type]
    level: DemandLevel  # type: ignore[valid-type]
    stage_started_at: datetime
    accepted_at: datetime | None
    respond_due_at: datetime
    resolve_due_at: datetime
    resolved_at: datetime | None
    resolved_level: DemandLevel | None  # type: ignore[valid-type]
    closed_at: datetime | None
    outcome: Outcome | None  # type: ignore[valid-type]
    satisfaction: int | None
    comment: str | None
    reopened: bool
    created_at: datetime

    @classmethod
    def from_model(cls, demand: models.Demand) -> Demand:
        view = levels.project(demand, clock.now())
        return cls(
            id=to_global_id("Demand", demand.id),
            local_id=demand.id,
            category_local_id=demand.category_id,
            grid_local_id=demand.grid_id,
            owner_local_id=demand.owner_id,
            type=demand.type,
            description=demand.description,
            address=demand.address,
            urgency=demand.urgency,
            reported_on_behalf=demand.reported_by != demand.resident_id,
            status=view.status,
            level=view.level,
            stage_started_at=view.stage_started_at,
            accepted_at=view.stage_accepted_at,
            respond_due_at=view.respond_due,
            resolve_due_at=view.resolve_due,
            resolved_at=demand.resolved_at,
            resolved_level=demand.resolved_level,
            closed_at=view.closed_at,
            outcome=view.outcome,
            satisfaction=demand.satisfaction,
            comment=demand.comment,
            reopened=demand.reopened > 0,
            created_at=demand.created_at,
        )

    @strawberry.field
    async def category(self, info: Info[Context, None]) -> DemandCategory | None:
        row = await (await info.context.loaders()).demand_category.load(self.category_local_id)
        return DemandCategory.from_model(row) if row else None

    @strawberry.field
    async def grid(self, info: Info[Context, None]) -> OrgUnit | None:
        return await _unit(info, self.grid_local_id)

    @strawberry.field(description="The grid worker who accepted it first, and owns it to the end.")
    async def owner_name(self, info: Info[Context, None]) -> str | None:
        return await _name(info, self.owner_local_id)

    @strawberry.field(description="Every step, oldest first.")
    async def timeline(self, info: Info[Context, None]) -> list[DemandEvent]:
        rows = await (await info.context.loaders()).demand_events.load(self.local_id)
        return [DemandEvent.from_model(event) for event in rows]

    @strawberry.field(description="Missed deadlines, recorded or already due by the clock.")
    async def breaches(self, info: Info[Context, None]) -> list[DemandBreach]:
        rows = await (await info.context.loaders()).demand_breaches.load(self.local_id)
        return [DemandBreach.from_view(b) for b in rows]

    @strawberry.field(description="Departments the street summoned.")
    async def assignments(self, info: Info[Context, None]) -> list[DemandAssignment]:
        rows = await (await info.context.loaders()).demand_assignments.load(self.local_id)
        return [DemandAssignment.from_model(row) for row in rows]
