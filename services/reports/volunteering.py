"""A person's volunteer service record (志愿服务记录): every confirmed claim with its day
(Asia/Shanghai), the service (the order's title) and hours; the total; and the star level the
national rules give at 100, 300, 600, 1000 and 1500 hours (one to five stars).

Only confirmed attendance counts, with the minutes the confirmer recorded. The person sees their
own record; staff who may read people see those in their scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.orders.models import Attendance, Claim, VolunteerOrder
from services.people import service as people

STAR_HOURS = (100, 300, 600, 1000, 1500)


def stars(hours: float) -> int:
    return sum(hours >= threshold for threshold in STAR_HOURS)


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    claim_id: uuid.UUID
    day: date
    service: str
    community_id: uuid.UUID
    hours: float


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    person_id: uuid.UUID
    entries: list[ServiceEntry]
    total_hours: float
    stars: int
    next_star_hours: int | None  # the hours the next star needs (None: five stars)


async def record(session: AsyncSession, actor: Actor, *, person_id: uuid.UUID) -> ServiceRecord:
    if person_id != actor.person_id and await people.get_person(session, actor, person_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    rows = (
        await session.execute(
            select(Claim.id, Claim.minutes, Claim.community_id, VolunteerOrder)
            .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
            .where(Claim.person_id == person_id, Claim.attendance == Attendance.CONFIRMED)
            .order_by(VolunteerOrder.starts_at, Claim.id)
        )
    ).all()
    entries = [
        ServiceEntry(
            claim_id=claim_id,
            day=clock.local_date(order.starts_at),
            service=order.title,
            community_id=community_id,
            hours=round((minutes or 0) / 60, 1),
        )
        for claim_id, minutes, community_id, order in rows
    ]
    # the total from the minutes, not from the rounded hours of each entry
    total = round(sum(minutes or 0 for _, minutes, _, _ in rows) / 60, 1)
    level = stars(total)
    return ServiceRecord(
        person_id=person_id,
        entries=entries,
        total_hours=total,
        stars=level,
        next_star_hours=STAR_HOURS[level] if level < len(STAR_HOURS) else None,
    )
