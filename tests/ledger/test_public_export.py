"""The public ledger download verifies, names nobody, and knows only communities."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger import verify
from tests.ledger.conftest import Books, grant
from tests.support import Api


async def test_anyone_downloads_a_community_ledger_that_verifies(
    api: Api, books: Books, session: AsyncSession
) -> None:
    await grant(session, books, "resident_a", 12)
    await grant(session, books, "resident_b", 7)
    reply = await api.client.get("/ledger/T-C1.json")  # no token: public on purpose
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="ledger-T-C1.json"'
    data = reply.json()
    assert len(data["transfers"]) == 2
    assert verify.verify_export(data).ok
    text = reply.text
    for key in ("resident_a", "resident_b"):
        assert str(books.person(key)) not in text
        assert books.world.phones[key] not in text
    assert (await api.client.get("/ledger/T-A.json")).status_code == 404  # a grid, not a community
    assert (await api.client.get("/ledger/NOPE.json")).status_code == 404
