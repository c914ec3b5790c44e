"""A community's settings (社区设置): the publicity period of grants and the points expiry policy.

Anyone signed in reads them: a community's policies are no secret, and residents should know when
their points lapse. The community's admins change them: MEETING_CONVENE (the publicity period is
the joint meeting's) or LEDGER_ADJUST (expiry is the ledger's) over the community, that is
community, street and system admins.

An update changes what it is given (None: unchanged). ``expiry_months`` goes with the
``after_months`` policy and only with it: required when the policy becomes ``after_months``
(unless it already was, with months set), refused with any other policy, 1 to 120. A new policy
takes effect at the worker's next tick (:func:`services.ledger.expiry.apply_due`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.orgs.models import (
    DEFAULT_PUBLICITY_DAYS,
    EXPIRY_MONTHS_MAX,
    EXPIRY_MONTHS_MIN,
    PUBLICITY_DAYS_MAX,
    PUBLICITY_DAYS_MIN,
    CommunitySettings,
    ExpiryPolicy,
    UnitKind,
)
from services.orgs.service import require_unit


async def get_settings(session: AsyncSession, *, community_id: uuid.UUID) -> CommunitySettings:
    """The community's settings; the defaults (not stored) when it never changed them."""
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    stored = await session.get(CommunitySettings, community.id, populate_existing=True)
    return stored or _defaults(community.id)


async def update_settings(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    publicity_days: int | None = None,
    expiry_policy: ExpiryPolicy | None = None,
    expiry_months: int | None = None,
) -> CommunitySettings:
    """Change the community's settings (see the module docstring for the rules)."""
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not (
        allows(actor, Permission.MEETING_CONVENE, community.path)
        or allows(actor, Permission.LEDGER_ADJUST, community.path)
    ):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    current = await session.scalar(
        select(CommunitySettings)
        .where(CommunitySettings.community_id == community.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ) or _defaults(community.id)
    days = current.publicity_days if publicity_days is None else publicity_days
    if not PUBLICITY_DAYS_MIN <= days <= PUBLICITY_DAYS_MAX:
        raise DomainError(ErrorCode.INVALID_VALUE, field="publicityDays")
    policy = expiry_policy or current.expiry_policy
    months = _months(policy, expiry_months, current)
    values: dict[str, Any] = {
        "publicity_days": days,
        "expiry_policy": policy,
        "expiry_months": months,
    }
    if (policy, months) != (current.expiry_policy, current.expiry_months):
        values["expiry_applied_on"] = None  # the worker applies the new policy at once
    stmt = (
        insert(CommunitySettings)
        .values(community_id=community.id, **values)
        .on_conflict_do_update(index_elements=[CommunitySettings.community_id], set_=values)
        .returning(CommunitySettings)
    )
    saved: CommunitySettings | None = await session.scalar(
        select(CommunitySettings).from_statement(stmt).execution_options(populate_existing=True)
    )
    assert saved is not None
    return saved


def _months(policy: ExpiryPolicy, given: int | None, current: CommunitySettings) -> int | None:
    if policy is not ExpiryPolicy.AFTER_MONTHS:
        if given is not None:
            raise DomainError(ErrorCode.INVALID_VALUE, field="expiryMonths")
        return None
    months = given if given is not None else current.expiry_months
    if months is None:
        raise DomainError(ErrorCode.REQUIRED, field="expiryMonths")
    if not EXPIRY_MONTHS_MIN <= months <= EXPIRY_MONTHS_MAX:
        raise DomainError(ErrorCode.INVALID_VALUE, field="expiryMonths")
    return months


def _defaults(community_id: uuid.UUID) -> CommunitySettings:
    return CommunitySettings(
        community_id=community_id,
        publicity_days=DEFAULT_PUBLICITY_DAYS,
        expiry_policy=ExpiryPolicy.NEVER,
        expiry_months=None,
        expiry_applied_on=None,
    )
