"""Claims: take a place (or a waitlist spot), withdraw, check in and out, confirm attendance.

Places are never overbooked, whatever the concurrency: a claim takes a place with one guarded
``UPDATE volunteer_order SET places_taken = places_taken + 1 WHERE places_taken < places AND
nobody is waiting``, and when that matches no row it locks the order row and joins the waitlist.
Either way the order row is locked before the claim row is written, and a withdrawal takes the
same lock before it hands its place to the first waitlisted claim (by ``seq``): so a withdrawal
always sees every waitlisted claim, no place is left free while someone waits, and a newcomer
never jumps the queue. One live claim per person per order is a unique index (a repeat raises
ALREADY_CLAIMED, and the mutation's rollback takes the place back).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.outbox import Topic
from services.notices import about
from services.notices.kinds import Kind
from services.orders import access
from services.orders.models import (
    REASON_MAX,
    Attendance,
    Claim,
    ClaimState,
    OrderState,
    VolunteerOrder,
)
from services.orders.service import MAX_LENGTH as MAX_SERVICE
from services.orders.service import get_order
from services.orgs.models import Household, OrgUnit
from services.pagination import Page, keyset_page

LIVE = (ClaimState.CLAIMED, ClaimState.WAITLISTED)
LIVE_PREDICATE = text("state IN ('claimed', 'waitlisted')")  # the partial unique index's


def _changed(session: AsyncSession, claim: Claim) -> None:
    """Tell the claimant (their person channel) that the claim changed."""
    outbox.emit(
        session,
        Topic.CLAIM_CHANGED,
        channels=[outbox.person_channel(claim.person_id)],
        payload={"claimId": str(claim.id), "orderId": str(claim.order_id), "state": claim.state},
        community_id=claim.community_id,
    )


async def claim_order(session: AsyncSession, actor: Actor, *, order_id: uuid.UUID) -> Claim:
    """Take a place on the order, or join its waitlist when it is full."""
    order = await get_order(session, actor, order_id)
    now = clock.now()
    if order.state is not OrderState.PUBLISHED or now >= order.starts_at:
        raise DomainError(ErrorCode.ORDER_NOT_OPEN)
    if now >= order.claim_deadline:
        raise DomainError(ErrorCode.CLAIM_DEADLINE_PASSED)
    await access.require_in_scope(session, actor, order)
    _check_head_start(order, actor.is_party_member, now)
    waiting = exists().where(Claim.order_id == order.id, Claim.state == ClaimState.WAITLISTED)
    taken = await session.scalar(
        update(VolunteerOrder)
        .where(
            VolunteerOrder.id == order.id,
            VolunteerOrder.state == OrderState.PUBLISHED,
            VolunteerOrder.places_taken < VolunteerOrder.places,
            ~waiting,
        )
        .values(places_taken=VolunteerOrder.places_taken + 1)
        .returning(VolunteerOrder.places_taken)
    )
    if taken is None:
        taken = await _queue_or_take_a_freed_place(session, order.id)
    # ON CONFLICT, not a savepoint: two round trips fewer while the order row is locked
    inserted = (
        insert(Claim)
        .values(
            community_id=order.community_id,
            order_id=order.id,
            person_id=actor.person_id,
            household_id=actor.household_id,
            state=ClaimState.CLAIMED if taken is not None else ClaimState.WAITLISTED,
            as_party_member=actor.is_party_member,
        )
        .on_conflict_do_nothing(
            index_elements=[Claim.order_id, Claim.person_id], index_where=LIVE_PREDICATE
        )
        .returning(Claim)
    )
    claim: Claim | None = await session.scalar(select(Claim).from_statement(inserted))
    if claim is None:
        raise DomainError(ErrorCode.ALREADY_CLAIMED)
    _changed(session, claim)
    if claim.state is ClaimState.CLAIMED:
        await about.claims(session, Kind.CLAIM_CONFIRMED, [claim])
    return claim


async def _queue_or_take_a_freed_place(session: AsyncSession, order_id: uuid.UUID) -> int | None:
    """The guarded UPDATE saw the order full: lock the row to queue up, or take a place freed
    since. ``None`` means queue; else the places taken with ours.

    FOR SHARE, so that queuing claimants do not wait for each other (a storm of 500 once
    serialized on this row) while a withdrawal or a change of places, which lock the row for
    update, waits for them and then sees their claims to promote. But a withdrawal that locked
    the row between our UPDATE and our lock saw no claim of ours and gave its place back: the
    share lock then shows a place free. That case (found by bench/chaos) gives the share lock
    back (a savepoint's rollback releases the row locks taken in it), locks the row for update,
    fills free places from the queue first and takes one if any is left.
    """
    free = VolunteerOrder.places_taken < VolunteerOrder.places  # as the locked row stands
    savepoint = await session.begin_nested()
    state, has_room = (
        await session.execute(
            select(VolunteerOrder.state, free)
            .where(VolunteerOrder.id == order_id)
            .with_for_update(read=True)
        )
    ).one()
    if state is not OrderState.PUBLISHED:
        raise DomainError(ErrorCode.ORDER_NOT_OPEN)
    if not has_room:
        await savepoint.commit()
        return None
    await savepoint.rollback()
    order = await session.scalar(
        select(VolunteerOrder)
        .where(VolunteerOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert order is not None
    if order.state is not OrderState.PUBLISHED:
        raise DomainError(ErrorCode.ORDER_NOT_OPEN)
    while order.places_taken < order.places:
        first = await _first_in_line(session, order.id)
        if first is None:
            order.places_taken += 1
            await session.flush()
            return order.places_taken
        first.state = ClaimState.CLAIMED  # someone queued in the same race before us
        order.places_taken += 1
        _changed(session, first)
        await about.claims(session, Kind.CLAIM_PROMOTED, [first])
        await session.flush()
    return None


async def _first_in_line(session: AsyncSession, order_id: uuid.UUID) -> Claim | None:
    return await session.scalar(
        select(Claim)
        .where(Claim.order_id == order_id, Claim.state == ClaimState.WAITLISTED)
        .order_by(Claim.seq)
        .limit(1)
        .with_for_update()
    )


def _check_head_start(order: VolunteerOrder, is_party_member: bool, now: datetime) -> None:
    if is_party_member or not order.party_first_hours or order.published_at is None:
        return
    opens_at = order.published_at + timedelta(hours=order.party_first_hours)
    if now < opens_at:
        local = opens_at.astimezone(clock.LOCAL).strftime("%Y-%m-%d %H:%M")
        raise DomainError(ErrorCode.PARTY_MEMBERS_FIRST, opens_at=local)


async def _own_claim(session: AsyncSession, actor: Actor, claim_id: uuid.UUID) -> Claim:
    claim = await session.scalar(
        select(Claim).where(Claim.id == claim_id, Claim.person_id == actor.person_id)
    )
    if claim is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="claimId")
    return claim


async def withdraw_claim(session: AsyncSession, actor: Actor, *, claim_id: uuid.UUID) -> Claim:
    """Give up a place (or a waitlist spot) before the claim deadline."""
    claim = await _own_claim(session, actor, claim_id)
    order = await session.scalar(
        select(VolunteerOrder).where(VolunteerOrder.id == claim.order_id).with_for_update()
    )
    assert order is not None
    await session.refresh(claim)
    if claim.state not in LIVE:
        raise DomainError(ErrorCode.INVALID_STATE)
    if clock.now() >= order.claim_deadline:
        raise DomainError(ErrorCode.CLAIM_DEADLINE_PASSED)
    was_claimed = claim.state is ClaimState.CLAIMED
    claim.state = ClaimState.WITHDRAWN
    if was_claimed:
        next_in_line = await _first_in_line(session, order.id)
        if next_in_line is not None:
            next_in_line.state = ClaimState.CLAIMED
            _changed(session, next_in_line)
            await about.claims(session, Kind.CLAIM_PROMOTED, [next_in_line])
        else:
            order.places_taken -= 1
    _changed(session, claim)
    await session.flush()
    return claim


async def waitlist_positions(session: AsyncSession, claims: list[Claim]) -> dict[uuid.UUID, int]:
    """1-based place in the queue of each waitlisted claim."""
    waiting = [c.id for c in claims if c.state is ClaimState.WAITLISTED]
    if not waiting:
        return {}
    rows = await session.execute(_WAITLIST_POSITIONS, {"waiting": waiting})
    return {row.id: int(row.ahead) for row in rows}


def _waitlist_positions() -> Select[uuid.UUID, int]:
    """Built once (every claim answers with its position: building the subquery's columns each
    time cost more CPU than PostgreSQL spends counting)."""
    other = select(Claim.order_id, Claim.seq).where(Claim.state == ClaimState.WAITLISTED).subquery()
    return (
        select(Claim.id, func.count().label("ahead"))
        .select_from(Claim)
        .join(other, (other.c.order_id == Claim.order_id) & (other.c.seq <= Claim.seq))
        .where(Claim.id.in_(bindparam("waiting", expanding=True)))
        .group_by(Claim.id)
    )


_WAITLIST_POSITIONS = _waitlist_positions()


def _on_service_day(order: VolunteerOrder, now: datetime) -> None:
    first, last = clock.local_date(order.starts_at), clock.local_date(order.ends_at)
    if not first <= clock.local_date(now) <= last:
        raise DomainError(ErrorCode.OUTSIDE_SERVICE_DAY)


async def check_in(session: AsyncSession, actor: Actor, *, claim_id: uuid.UUID) -> Claim:
    claim = await _own_claim(session, actor, claim_id)
    order = await session.get(VolunteerOrder, claim.order_id)
    assert order is not None
    if claim.state is not ClaimState.CLAIMED or order.state is not OrderState.PUBLISHED:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    _on_service_day(order, now)
    if claim.checked_in_at is not None:
        raise DomainError(ErrorCode.ALREADY_CHECKED_IN)
    claim.checked_in_at = now
    await session.flush()
    return claim


async def check_out(session: AsyncSession, actor: Actor, *, claim_id: uuid.UUID) -> Claim:
    claim = await _own_claim(session, actor, claim_id)
    order = await session.get(VolunteerOrder, claim.order_id)
    assert order is not None
    if claim.checked_in_at is None:
        raise DomainError(ErrorCode.NOT_CHECKED_IN)
    if claim.checked_out_at is not None or claim.attendance is not Attendance.PENDING:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    _on_service_day(order, now)
    claim.checked_out_at = now
    claim.minutes = _minutes(claim.checked_in_at, now)
    await session.flush()
    return claim


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


async def _confirmable(
    session: AsyncSession, actor: Actor, claim_id: uuid.UUID
) -> tuple[Claim, VolunteerOrder]:
    claim = await session.scalar(select(Claim).where(Claim.id == claim_id).with_for_update())
    if claim is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="claimId")
    order = await session.get(VolunteerOrder, claim.order_id)
    assert order is not None
    if not await _may_confirm(session, actor, order, claim):
        raise DomainError(ErrorCode.FORBIDDEN)
    if claim.state is not ClaimState.CLAIMED or clock.now() < order.starts_at:
        raise DomainError(ErrorCode.INVALID_STATE)
    if order.state not in (OrderState.PUBLISHED, OrderState.COMPLETED):
        raise DomainError(ErrorCode.INVALID_STATE)
    return claim, order


async def _may_confirm(
    session: AsyncSession, actor: Actor, order: VolunteerOrder, claim: Claim
) -> bool:
    """The publisher; or a grid leader / community admin over the order's unit, or over the
    claimant's own grid (a grid leader confirms their residents on a community-wide order)."""
    if order.publisher_id == actor.person_id:
        return True
    if allows(actor, Permission.ATTENDANCE_CONFIRM, await access.unit_path(session, order)):
        return True
    if claim.household_id is None:
        return False
    grid_path = await session.scalar(
        select(OrgUnit.path)
        .join(Household, Household.grid_id == OrgUnit.id)
        .where(Household.id == claim.household_id)
    )
    return grid_path is not None and allows(actor, Permission.ATTENDANCE_CONFIRM, grid_path)


async def confirm_attendance(
    session: AsyncSession,
    actor: Actor,
    *,
    claim_id: uuid.UUID,
    checked_in_at: datetime | None = None,
    checked_out_at: datetime | None = None,
    reason: str | None = None,
) -> Claim:
    """Confirm that the claimant served. A missing or wrong check-in/out is corrected here,
    and a correction needs a reason."""
    if checked_in_at is not None:  # what already happened: from 2000 to now
        validation.moment(checked_in_at, field="checkedInAt", past=True)
    if checked_out_at is not None:
        validation.moment(checked_out_at, field="checkedOutAt", past=True)
    claim, _order = await _confirmable(session, actor, claim_id)
    if claim.attendance is Attendance.CONFIRMED:
        raise DomainError(ErrorCode.INVALID_STATE)
    corrected = checked_in_at is not None or checked_out_at is not None
    start = checked_in_at or claim.checked_in_at
    end = checked_out_at or claim.checked_out_at
    if corrected or start is None or end is None:
        if start is None or end is None:
            raise DomainError(ErrorCode.NOT_CHECKED_IN, field="checkedOutAt")
        claim.correction_reason = validation.text(
            reason, field="reason", max_length=REASON_MAX, required=True
        )
    if start is None or end is None or end < start or end - start > MAX_SERVICE:
        raise DomainError(ErrorCode.INVALID_TIME_WINDOW, field="checkedOutAt")
    claim.checked_in_at, claim.checked_out_at = start, end
    claim.minutes = _minutes(start, end)
    claim.attendance = Attendance.CONFIRMED
    claim.confirmed_by = actor.person_id
    claim.confirmed_at = clock.now()
    _changed(session, claim)
    await about.claims(session, Kind.ATTENDANCE_CONFIRMED, [claim])
    await session.flush()
    return claim


async def mark_no_show(session: AsyncSession, actor: Actor, *, claim_id: uuid.UUID) -> Claim:
    claim, _order = await _confirmable(session, actor, claim_id)
    if claim.attendance is Attendance.CONFIRMED:
        raise DomainError(ErrorCode.INVALID_STATE)
    claim.attendance = Attendance.NO_SHOW
    claim.minutes = 0
    claim.confirmed_by = actor.person_id
    claim.confirmed_at = clock.now()
    _changed(session, claim)
    await session.flush()
    return claim


async def my_claims(
    session: AsyncSession, actor: Actor, *, first: int, after: str | None = None
) -> Page[Claim]:
    stmt = select(Claim).where(Claim.person_id == actor.person_id)
    return await keyset_page(session, stmt, (Claim.seq,), first=first, after=after)


async def claims_of_order(
    session: AsyncSession, actor: Actor, *, order_id: uuid.UUID
) -> list[Claim]:
    """The roster: staff who may read the order see every claim on it, in claim order."""
    order = await get_order(session, actor, order_id)
    if not allows(actor, Permission.ORDER_READ, await access.unit_path(session, order)):
        raise DomainError(ErrorCode.FORBIDDEN)
    rows = await session.scalars(
        select(Claim).where(Claim.order_id == order.id).order_by(Claim.seq)
    )
    return list(rows)


async def claims_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Claim]:
    """Claims the actor may see: their own, or those on orders they read as staff."""
    rows = await session.scalars(
        select(Claim).where(Claim.id.in_(ids), access.readable_claims(actor))
    )
    return {claim.id: claim for claim in rows}
