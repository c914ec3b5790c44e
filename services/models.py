"""Every model, imported once so the metadata is complete (Alembic and the tests use this)."""

from services.db import Base
from services.orgs.models import CenterHousehold, Household, OrgUnit
from services.people.models import Person, RoleAssignment

metadata = Base.metadata

__all__ = ["CenterHousehold", "Household", "OrgUnit", "Person", "RoleAssignment", "metadata"]
