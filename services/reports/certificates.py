"""Volunteer service certificates (志愿服务证明): a numbered statement, issued by the volunteer's
community, of the hours in their service record on the day it was issued.

A certificate freezes what it certifies (hours, number of services, star level), so a printed one
always matches its row, and a later record can be certified again. Numbers run per community and
year, ``<community code>-<year>-<serial>`` (``DX-C1-2026-00001``); the serial is taken under a
transaction-scoped advisory lock on (community, year), so two certificates never share one.

The volunteer may ask for their own; staff who manage people of the community may issue one for
them. Whoever may see the person may see (and print) their certificates.
"""

from __future__ import annotations

import uuid
import zlib
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.authz import Actor, Permission, allows
from services.db import Base, created_at, uuid_pk
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit
from services.people import service as people
from services.people.models import Person
from services.reports import volunteering

NUMBER_MAX = 40


class VolunteerCertificate(Base):
    __tablename__ = "volunteer_certificate"

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[str] = mapped_column(String(NUMBER_MAX), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    services: Mapped[int] = mapped_column(Integer)
    hours_tenths: Mapped[int] = mapped_column(Integer)  # 12.5 hours is 125
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()

    @property
    def hours(self) -> float:
        return self.hours_tenths / 10


async def _next_number(session: AsyncSession, community: OrgUnit, year: int) -> str:
    prefix = f"{community.code}-{year}-"
    key = zlib.crc32(prefix.encode())
    await session.execute(select(func.pg_advisory_xact_lock(key)))
    taken = await session.scalar(
        select(func.count()).where(
            VolunteerCertificate.community_id == community.id,
            VolunteerCertificate.number.startswith(prefix, autoescape=True),
        )
    )
    return f"{prefix}{(taken or 0) + 1:05d}"


async def issue(
    session: AsyncSession, actor: Actor, *, person_id: uuid.UUID | None = None
) -> VolunteerCertificate:
    """Certify the person's (default: the actor's own) service record as of today."""
    target = person_id or actor.person_id
    person = await session.get(Person, target)
    if person is None or (
        target != actor.person_id and await people.get_person(session, actor, target) is None
    ):
        raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    if person.community_id is None:
        raise DomainError(ErrorCode.NO_HOME_COMMUNITY, field="personId")
    community = await session.get(OrgUnit, person.community_id)
    assert community is not None
    if target != actor.person_id and not allows(actor, Permission.PERSON_MANAGE, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="personId")
    record = await volunteering.record(session, actor, person_id=target)
    if not record.entries:
        raise DomainError(ErrorCode.NO_SERVICE_HOURS, field="personId")
    today = clock.local_date(clock.now())
    certificate = VolunteerCertificate(
        number=await _next_number(session, community, today.year),
        person_id=target,
        community_id=community.id,
        issued_on=today,
        issued_by=actor.person_id,
        services=len(record.entries),
        hours_tenths=round(record.total_hours * 10),
        stars=record.stars,
    )
    session.add(certificate)
    await session.flush()
    return certificate


async def visible(
    session: AsyncSession, actor: Actor, certificate_id: uuid.UUID
) -> VolunteerCertificate | None:
    certificate = await session.get(VolunteerCertificate, certificate_id)
    if certificate is None:
        return None
    if certificate.person_id == actor.person_id:
        return certificate
    person = await people.get_person(session, actor, certificate.person_id)
    return certificate if person is not None else None


async def of_person(
    session: AsyncSession, actor: Actor, *, person_id: uuid.UUID
) -> list[VolunteerCertificate]:
    if person_id != actor.person_id and await people.get_person(session, actor, person_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    return list(
        await session.scalars(
            select(VolunteerCertificate)
            .where(VolunteerCertificate.person_id == person_id)
            .order_by(VolunteerCertificate.created_at.desc())
        )
    )
