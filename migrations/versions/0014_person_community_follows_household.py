"""person community follows the household: repair, then hold it in the database

Issue 13 item 4: a party registration (报到) could set a person's community to any community.
People whose community differs from their household's get their household's back (with the
party-member role the registration had moved), then a composite foreign key
(household_id, community_id) -> household (id, community_id) keeps the two equal.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPAIR = """
WITH moved AS (
    UPDATE person p SET community_id = h.community_id
    FROM household h, person was
    WHERE h.id = p.household_id AND was.id = p.id
      AND p.community_id IS DISTINCT FROM h.community_id
    RETURNING p.id, was.community_id AS away, p.community_id AS home
)
UPDATE role_assignment r SET unit_id = moved.home
FROM moved
WHERE r.person_id = moved.id AND r.role = 'party_member' AND r.unit_id = moved.away
  AND NOT EXISTS (
      SELECT 1 FROM role_assignment o
      WHERE o.person_id = moved.id AND o.role = 'party_member' AND o.unit_id = moved.home
  )
"""


def upgrade() -> None:
    op.execute(REPAIR)
    op.create_unique_constraint("uq_household_id_community", "household", ["id", "community_id"])
    op.create_foreign_key(
        "fk_person_household_community",
        "person",
        "household",
        ["household_id", "community_id"],
        ["id", "community_id"],
    )
    op.create_check_constraint(
        op.f("ck_person_household_has_community"),
        "person",
        "household_id IS NULL OR community_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_person_household_has_community"), "person", type_="check")
    op.drop_constraint("fk_person_household_community", "person", type_="foreignkey")
    op.drop_constraint("uq_household_id_community", "household", type_="unique")
