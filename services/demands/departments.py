"""The street "blows the whistle" (吹哨) and departments report (报到): assign, accept, report in,
reply, or return a misrouted demand.

The street summons one lead department and any assisting ones. Each accepts (a guarded UPDATE on
its assignment), reports in on site, and replies; the lead's reply resolves the demand, and
the lead's acceptance stops the department-level response clock. A department that returns the
demand as misrouted drops out; when the lead does, the demand goes back to the street.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.demands import access, timeline
from services.demands.handling import held
from services.demands.models import (
    NOTE_MAX,
    AssignmentRole,
    Demand,
    DemandAssignment,
    DemandLevel,
    DemandState,
    EventKind,
)
from services.demands.settle import lock, settle
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit

MAX_ASSISTING = 10


async def assign(
    session: AsyncSession,
    actor: Actor,
    *,
    demand_id: uuid.UUID,
    lead_id: uuid.UUID,
    assisting_ids: Sequence[uuid.UUID] = (),
    note: str | None = None,
) -> Demand:
    demand = await held(session, actor, demand_id)
    if demand.level is not DemandLevel.STREET:
        raise DomainError(ErrorCode.INVALID_STATE)
    assisting = list(dict.fromkeys(a for a in assisting_ids if a != lead_id))
    if len(assisting) > MAX_ASSISTING:
        raise DomainError(ErrorCode.INVALID_VALUE, field="assistingIds")
    lead = await require_unit(session, lead_id, kinds=(UnitKind.DEPARTMENT,), field="leadId")
    helpers = [
        await require_unit(session, a, kinds=(UnitKind.DEPARTMENT,), field="assistingIds")
        for a in assisting
    ]
    now = clock.now()
    cleaned = validation.text(note, field="note", max_length=NOTE_MAX, required=False)
    demand.level, demand.stage_started_at = DemandLevel.DEPARTMENT, now
    demand.stage_accepted_at = demand.handler_id = None
    for department, role in [(lead, AssignmentRole.LEAD)] + [
        (h, AssignmentRole.ASSIST) for h in helpers
    ]:
        session.add(
            DemandAssignment(
                community_id=demand.community_id,
                demand_id=demand.id,
                department_id=department.id,
                role=role,
                assigned_at=now,
            )
        )
        await timeline.record(
            session,
            demand,
            EventKind.ASSIGNED,
            at=now,
            level=DemandLevel.STREET,
            actor_id=actor.person_id,
            unit_id=department.id,
            note=role.value if cleaned is None else f"{role.value}: {cleaned}",
        )
    await session.flush()
    return demand


async def _mine(
    session: AsyncSession, actor: Actor, demand_id: uuid.UUID
) -> tuple[Demand, DemandAssignment]:
    """The locked, settled demand and the live assignment of a department the actor serves."""
    demand = await lock(session, demand_id)
    await settle(session, demand)
    rows = await session.execute(
        select(DemandAssignment, OrgUnit)
        .join(OrgUnit, OrgUnit.id == DemandAssignment.department_id)
        .where(DemandAssignment.demand_id == demand.id, DemandAssignment.returned_at.is_(None))
        .order_by(DemandAssignment.role, DemandAssignment.assigned_at)
        .execution_options(populate_existing=True)
    )
    for assignment, department in rows:
        if access.serves_department(actor, department):
            if demand.state is not DemandState.ACTIVE or demand.level is not DemandLevel.DEPARTMENT:
                raise DomainError(ErrorCode.INVALID_STATE)
            return demand, assignment
    raise DomainError(ErrorCode.NOT_ASSIGNED)


async def department_accept(
    session: AsyncSession, actor: Actor, *, demand_id: uuid.UUID
) -> DemandAssignment:
    demand, assignment = await _mine(session, actor, demand_id)
    now = clock.now()
    won = await session.scalar(
        update(DemandAssignment)
        .where(DemandAssignment.id == assignment.id, DemandAssignment.accepted_at.is_(None))
        .values(accepted_at=now)
        .returning(DemandAssignment.id)
        .execution_options(synchronize_session=False)
    )
    if won is None:
        raise DomainError(ErrorCode.ALREADY_ACCEPTED)
    await session.refresh(assignment)
    if assignment.role is AssignmentRole.LEAD:
        demand.stage_accepted_at, demand.handler_id = now, actor.person_id
    await _event(session, demand, assignment, actor, EventKind.DEPARTMENT_ACCEPTED)
    return assignment


async def report_in(
    session: AsyncSession, actor: Actor, *, demand_id: uuid.UUID, note: str | None = None
) -> DemandAssignment:
    """报到: the department is on site."""
    demand, assignment = await _mine(session, actor, demand_id)
    if assignment.accepted_at is None or assignment.reported_in_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE)
    assignment.reported_in_at = clock.now()
    cleaned = validation.text(note, field="note", max_length=NOTE_MAX, required=False)
    await _event(session, demand, assignment, actor, EventKind.DEPARTMENT_REPORTED_IN, cleaned)
    return assignment


async def reply(
    session: AsyncSession,
    actor: Actor,
    *,
    demand_id: uuid.UUID,
    reply: str,
    photo_ids: Sequence[uuid.UUID] = (),
) -> DemandAssignment:
    """The department handled it and says how; the lead's reply resolves the demand."""
    demand, assignment = await _mine(session, actor, demand_id)
    if assignment.accepted_at is None or assignment.replied_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    assignment.reply = validation.required_text(reply, field="reply", max_length=NOTE_MAX)
    assignment.replied_at = now
    if assignment.role is AssignmentRole.LEAD:
        demand.state, demand.resolved_at = DemandState.RESOLVED, now
        demand.resolved_level = DemandLevel.DEPARTMENT
    await _event(
        session,
        demand,
        assignment,
        actor,
        EventKind.DEPARTMENT_REPLIED,
        assignment.reply,
        photo_ids,
    )
    return assignment


async def department_return(
    session: AsyncSession, actor: Actor, *, demand_id: uuid.UUID, reason: str
) -> DemandAssignment:
    cleaned = validation.text(reason, field="reason", max_length=NOTE_MAX, required=False)
    if cleaned is None:
        raise DomainError(ErrorCode.REASON_REQUIRED, field="reason")
    demand, assignment = await _mine(session, actor, demand_id)
    now = clock.now()
    assignment.returned_at = now
    if assignment.role is AssignmentRole.LEAD:
        demand.level, demand.stage_started_at = DemandLevel.STREET, now
        demand.stage_accepted_at = demand.handler_id = None
    await _event(session, demand, assignment, actor, EventKind.RETURNED, cleaned)
    return assignment


async def _event(
    session: AsyncSession,
    demand: Demand,
    assignment: DemandAssignment,
    actor: Actor,
    kind: EventKind,
    note: str | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
) -> None:
    await timeline.record(
        session,
        demand,
        kind,
        at=clock.now(),
        level=DemandLevel.DEPARTMENT,
        actor_id=actor.person_id,
        unit_id=assignment.department_id,
        note=note,
        photo_ids=photo_ids,
    )
    await session.flush()
