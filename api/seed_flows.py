"""Demo volunteering history for 稻香社区: orders in every state, two held meetings, grants
posted and grants in publicity, and so balances.

Built through the services themselves with the clock moved back in time, so the demo data obeys
every rule the product enforces (the ledger chain included).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import seed
from services import clock
from services.auth.service import load_actor
from services.authz import Actor
from services.ledger.models import PointKind
from services.meetings import decisions, grants
from services.meetings import service as meetings
from services.meetings.models import Choice, Proposal
from services.orders import claims
from services.orders import service as orders
from services.orders.models import VolunteerOrder
from services.orgs.models import OrgUnit
from services.people.models import Person

COMMUNITY = "DX-C1"


async def _actor(session: AsyncSession, phone: str) -> Actor:
    person_id = await session.scalar(select(Person.id).where(Person.phone == phone))
    assert person_id is not None, phone
    actor = await load_actor(session, person_id)
    assert actor is not None
    return actor


def _draft(
    title: str, category: str, starts: datetime, places: int, points: int
) -> orders.OrderDraft:
    return orders.OrderDraft(
        title=title,
        content=f"{title}：请按时到场，现场签到签退。",
        category=category,
        location="稻香社区党群服务中心",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        claim_deadline=starts - timedelta(hours=12),
        places=places,
        points=points,
        point_kind=PointKind.GRID,
    )


async def _order(
    session: AsyncSession,
    admin: Actor,
    community: uuid.UUID,
    draft: orders.OrderDraft,
    *,
    publish: bool = True,
) -> VolunteerOrder:
    order = await orders.create_order(session, admin, unit_id=community, draft=draft)
    if publish:
        await orders.publish_order(session, admin, order_id=order.id)
    return order


async def _served(
    session: AsyncSession,
    admin: Actor,
    order: VolunteerOrder,
    people: list[Actor],
    move: clock.Mover,
) -> None:
    """``people`` claim, serve the whole shift and are confirmed."""
    made = [await claims.claim_order(session, p, order_id=order.id) for p in people]
    move(order.starts_at - timedelta(minutes=5))
    for person, claim in zip(people, made, strict=True):
        await claims.check_in(session, person, claim_id=claim.id)
    out = order.ends_at + timedelta(minutes=5)
    if clock.local_date(out) != clock.local_date(order.ends_at):  # check-out is on the day
        out = order.ends_at  # (a shift ending in the last 5 minutes before midnight)
    move(out)
    for person, claim in zip(people, made, strict=True):
        await claims.check_out(session, person, claim_id=claim.id)
        await claims.confirm_attendance(session, admin, claim_id=claim.id)
    await orders.complete_order(session, admin, order_id=order.id)


async def _meeting(
    session: AsyncSession, admin: Actor, community: uuid.UUID, members: list[Actor], title: str
) -> None:
    meeting = await meetings.convene(
        session,
        admin,
        community_id=community,
        title=title,
        scheduled_at=clock.now(),
        quorum=3,
        member_ids=[m.person_id for m in members],
    )
    agenda = await meetings.agenda_items(session, meeting.id)
    if agenda:
        await meetings.propose(
            session,
            admin,
            item_id=agenda[0].id,
            proposal=Proposal.ADJUST,
            points=agenda[0].points + 5,
            reason="组织协调，工作量大",
        )
    for member in members:
        await meetings.attend(session, member, meeting_id=meeting.id)
    for item in agenda:
        for member in members:
            await meetings.vote(session, member, item_id=item.id, choice=Choice.FOR)
    await decisions.close(session, admin, meeting_id=meeting.id)


async def seed_volunteering(session: AsyncSession, now: datetime) -> int:
    """Write the history ending at ``now``; returns how many orders it made."""
    community = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == COMMUNITY))
    assert community is not None
    admin = await _actor(session, seed.community_admin_phone(1))
    residents = [await _actor(session, seed.resident_phone(n)) for n in range(1, 31)]
    members = [await _actor(session, seed.meeting_member_phone(1, s)) for s in range(1, 5)]
    made = 0
    with clock.frozen(now - timedelta(days=40)) as move:
        first = await _order(
            session,
            admin,
            community,
            _draft("社区环境清洁", "环境", now - timedelta(days=30), 10, 10),
        )
        await _served(session, admin, first, residents[:10], move)
        move(now - timedelta(days=20))
        await _meeting(session, admin, community, members, "五月联席会议")
        move(now - timedelta(days=14))
        await grants.settle_due(session)
        second = await _order(
            session, admin, community, _draft("敬老院探访", "助老", now - timedelta(days=6), 5, 8)
        )
        await _served(session, admin, second, residents[10:15], move)
        move(now - timedelta(days=2))
        await _meeting(session, admin, community, members, "六月联席会议")
        made += 2
        move(now - timedelta(days=1))
        upcoming = now + timedelta(days=5)
        open_order = await _order(
            session, admin, community, _draft("垃圾分类宣传", "宣传", upcoming, 20, 5)
        )
        for person in residents[15:20]:
            await claims.claim_order(session, person, order_id=open_order.id)
        full = await _order(
            session,
            admin,
            community,
            _draft("义诊服务", "健康", upcoming + timedelta(days=1), 3, 6),
        )
        for person in residents[20:25]:
            await claims.claim_order(session, person, order_id=full.id)  # 3 claim, 2 wait
        running = await _order(
            session,
            admin,
            community,
            _draft("社区文艺汇演", "文化", now - timedelta(hours=1), 6, 10),
        )
        for person in residents[25:30]:
            await claims.claim_order(session, person, order_id=running.id)
        await _order(
            session,
            admin,
            community,
            _draft("暑期托管志愿者", "托育", upcoming + timedelta(days=20), 8, 12),
            publish=False,
        )
        cancelled = await _order(
            session,
            admin,
            community,
            _draft("户外健步走", "文体", upcoming + timedelta(days=2), 15, 4),
        )
        await orders.cancel_order(session, admin, order_id=cancelled.id, reason="天气预报有暴雨")
        made += 5
    return made
