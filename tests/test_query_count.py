"""SQL statements per request do not grow with the number of items returned (DataLoaders)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.state import AppState
from services.orgs import households as household_service
from services.people import service as people_service
from tests.support import Api, World

NESTED = """query($n: Int!) {
  households(first: $n) {
    nodes { address grid { code parent { code } } community { name }
            members { name household { address } roles { role unit { code } } } }
  }
}"""


@contextmanager
def counting(state: AppState) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(state.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(state.engine.sync_engine, "before_cursor_execute", record)


async def test_nested_household_list_costs_the_same_for_2_or_24_items(
    api: Api, world: World, state: AppState, session: AsyncSession
) -> None:
    for n in range(20):
        household = await household_service.create_household(
            session, OPERATOR, grid_id=world.units["A" if n % 2 else "B"], address=f"加{n:02d}号"
        )
        await people_service.create_person(
            session, OPERATOR, name=f"居民{n}", phone=f"1350000{n:04d}", household_id=household.id
        )
    await session.commit()
    token = await api.sign_in(world.phones["admin"])

    with counting(state) as few:
        small = await api(NESTED, {"n": 2}, token=token)
    with counting(state) as many:
        large = await api(NESTED, {"n": 24}, token=token)

    assert len(small.data["households"]["nodes"]) == 2
    assert len(large.data["households"]["nodes"]) == 24
    assert sum(len(h["members"]) for h in large.data["households"]["nodes"]) >= 23
    assert len(many) == len(few), (few, many)
    assert len(many) <= 8, many
