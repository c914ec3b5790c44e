"""The one place that decides what an actor may do.

A role is held over an org unit and reaches that unit's whole subtree. A permission lists the
roles that carry it. "May the actor do P on an object in unit X?" is "does the actor hold a role
carrying P over any unit on X's path?" (:func:`allows`). Lists use the same rule as an SQL
filter: the unit ids the actor holds P over (:func:`scope`), tested against the object's path with
one array overlap.
A system admin holds every permission everywhere.

Rules about a person's own things (their household, their profile) live beside the queries that
apply them (``services.orgs.households``, ``services.people.service``), and use this module for the
role-based part.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from services.errors import DomainError, ErrorCode
from services.people.models import Role, SeatType


class Permission(StrEnum):
    HOUSEHOLD_READ = "household_read"
    HOUSEHOLD_MANAGE = "household_manage"
    PERSON_READ = "person_read"
    PERSON_MANAGE = "person_manage"
    ORG_MANAGE = "org_manage"
    ROLE_MANAGE = "role_manage"
    ORDER_READ = "order_read"
    ORDER_MANAGE = "order_manage"
    ATTENDANCE_CONFIRM = "attendance_confirm"
    MEETING_CONVENE = "meeting_convene"
    LEDGER_READ = "ledger_read"
    LEDGER_ADJUST = "ledger_adjust"
    DEMAND_READ = "demand_read"
    DEMAND_HANDLE_GRID = "demand_handle_grid"
    DEMAND_HANDLE_COMMUNITY = "demand_handle_community"
    DEMAND_HANDLE_STREET = "demand_handle_street"
    DEMAND_DEPARTMENT = "demand_department"
    DEMAND_CATEGORY_MANAGE = "demand_category_manage"
    CATALOG_MANAGE = "catalog_manage"
    REDEMPTION_FULFIL = "redemption_fulfil"
    EVALUATION_READ = "evaluation_read"
    SCORE_DEPARTMENT = "score_department"
    SCORE_COMMUNITY = "score_community"
    REGISTRATION_DECIDE = "registration_decide"


_STAFF_READ: Final = frozenset(
    {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}
)

POLICY: Final[dict[Permission, frozenset[Role]]] = {
    Permission.HOUSEHOLD_READ: _STAFF_READ,
    Permission.HOUSEHOLD_MANAGE: frozenset(
        {Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_ADMIN}
    ),
    Permission.PERSON_READ: _STAFF_READ,
    Permission.PERSON_MANAGE: frozenset(
        {Role.GRID_WORKER, Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}
    ),
    Permission.ORG_MANAGE: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    Permission.ROLE_MANAGE: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    # staff see every order in their scope, drafts included; residents see published ones
    Permission.ORDER_READ: _STAFF_READ | {Role.MEETING_MEMBER},
    Permission.ORDER_MANAGE: frozenset({Role.COMMUNITY_ADMIN, Role.GRID_LEADER}),
    Permission.ATTENDANCE_CONFIRM: frozenset({Role.COMMUNITY_ADMIN, Role.GRID_LEADER}),
    Permission.MEETING_CONVENE: frozenset({Role.COMMUNITY_ADMIN}),
    # a community's whole ledger, and adjustments/reversals with a reason (never one's own)
    Permission.LEDGER_READ: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    Permission.LEDGER_ADJUST: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    # resident demands: staff see their subtree's; each level acts through its own role;
    # department staff see and act on what their department was summoned to
    Permission.DEMAND_READ: _STAFF_READ,
    Permission.DEMAND_HANDLE_GRID: frozenset({Role.GRID_WORKER}),
    Permission.DEMAND_HANDLE_COMMUNITY: frozenset({Role.COMMUNITY_ADMIN}),
    Permission.DEMAND_HANDLE_STREET: frozenset({Role.STREET_ADMIN}),
    Permission.DEMAND_DEPARTMENT: frozenset({Role.DEPARTMENT_STAFF}),
    Permission.DEMAND_CATEGORY_MANAGE: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    # the exchange: a community's catalog, and writing off its pickup codes at the counter
    Permission.CATALOG_MANAGE: frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN}),
    Permission.REDEMPTION_FULFIL: frozenset({Role.COMMUNITY_ADMIN}),
    # evaluation: a department's rates (its staff and the street above it), a community's
    # 70/20/10 split (its admins and the street); communities score the departments of their
    # street, departments score the communities (party organizations) of theirs
    Permission.EVALUATION_READ: frozenset(
        {Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DEPARTMENT_STAFF}
    ),
    Permission.SCORE_DEPARTMENT: frozenset({Role.COMMUNITY_ADMIN}),
    Permission.SCORE_COMMUNITY: frozenset({Role.DEPARTMENT_STAFF}),
    # self-registration (issue 14): the grid's grid worker or the community's admin decides
    Permission.REGISTRATION_DECIDE: frozenset({Role.GRID_WORKER, Role.COMMUNITY_ADMIN}),
}

# Roles only a system admin may hand out.
RESERVED_ROLES: Final = frozenset({Role.SYSTEM_ADMIN})


class _AllUnits:
    """The scope of a system admin: every unit."""

    def __repr__(self) -> str:
        return "ALL_UNITS"


ALL_UNITS: Final = _AllUnits()

Scope = frozenset[uuid.UUID] | _AllUnits


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    unit_id: uuid.UUID | None
    seat_type: SeatType | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in person as the services see them: identity plus role grants."""

    person_id: uuid.UUID
    name: str
    community_id: uuid.UUID | None
    household_id: uuid.UUID | None
    grants: tuple[Grant, ...] = field(default=())
    is_party_member: bool = False

    @property
    def is_system_admin(self) -> bool:
        return any(grant.role is Role.SYSTEM_ADMIN for grant in self.grants)

    def has_role(self, role: Role) -> bool:
        return any(grant.role is role for grant in self.grants)


def scope(actor: Actor, permission: Permission) -> Scope:
    """The units over which ``actor`` holds ``permission`` (each reaching its subtree)."""
    if actor.is_system_admin:
        return ALL_UNITS
    roles = POLICY[permission]
    return frozenset(
        grant.unit_id for grant in actor.grants if grant.role in roles and grant.unit_id is not None
    )


def allows(actor: Actor, permission: Permission, unit_path: Sequence[uuid.UUID]) -> bool:
    """May ``actor`` use ``permission`` on something inside the unit whose path is ``unit_path``?"""
    units = scope(actor, permission)
    if isinstance(units, _AllUnits):
        return True
    return not units.isdisjoint(unit_path)


def require(actor: Actor, permission: Permission, unit_path: Sequence[uuid.UUID]) -> None:
    if not allows(actor, permission, unit_path):
        raise DomainError(ErrorCode.FORBIDDEN)
