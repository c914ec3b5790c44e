"""The public ledger download verifies, names nobody, and knows only communities."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services.auth.service import load_actor
from services.ledger import admin, verify
from services.ledger import service as ledger
from services.ledger.chain import chain_hash, legacy_hash
from services.ledger.models import Account, PointKind, Transfer
from services.orgs.models import OrgUnit
from tests.ledger.conftest import Books, grant
from tests.ledger.test_transfers import redeem_hold
from tests.ledger.test_verify import run_cli
from tests.support import Api

STAFF_REASONS = ("张三丰家门口扫雪两小时", "发错人了，应给李四", "居民王五临时有事取消")


async def staff_history(session: AsyncSession, books: Books) -> list[Transfer]:
    """Grants, an adjustment, a redemption picked up, one voided and a reversal, each with a
    reason staff typed (some of them naming people)."""
    first = await grant(session, books, "resident_a", 12)
    second = await grant(session, books, "resident_b", 7)
    actor = await load_actor(session, books.person("community_admin"))
    assert actor is not None
    adjusted = await admin.adjust(
        session,
        actor,
        person_id=books.person("resident_b"),
        point_kind=PointKind.GRID,
        amount=3,
        reason=STAFF_REASONS[0],
        idempotency_key="public-export",
    )
    held = await redeem_hold(session, books, "resident_a", 5)
    picked = await ledger.post(session, pending_id=held.id, actor_id=books.person("resident_a"))
    dropped = await redeem_hold(session, books, "resident_a", 2)
    await ledger.void(session, pending_id=dropped.id, actor_id=None, reason=STAFF_REASONS[2])
    reversal = await ledger.reverse(
        session,
        transfer_id=second.id,
        actor_id=books.person("community_admin"),
        reason=STAFF_REASONS[1],
    )
    await session.commit()
    return [first, second, adjusted, picked, reversal]


async def test_the_public_export_names_nobody_and_still_verifies(
    api: Api, books: Books, session: AsyncSession, tmp_path: Path, database_url: str
) -> None:
    # given a ledger written by staff and residents, with free-text reasons
    postings = await staff_history(session, books)
    accounts = [str(a) for a in await session.scalars(select(Account.id))]

    # when anyone downloads it (no token: public on purpose)
    reply = await api.client.get("/ledger/T-C1.json")
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="ledger-T-C1.json"'
    data = reply.json()
    assert len(data["transfers"]) == 8 and data["format"] == verify.PUBLIC

    # then no person's id (actor or account owner), phone, account id or typed reason is in it
    body = reply.text
    for key, person in books.world.people.items():
        assert str(person) not in body, key
        assert books.world.phones[key] not in body, key
    for account in accounts:
        assert account not in body
    for reason in (*STAFF_REASONS, "测试发放", "兑换洗衣粉"):
        assert reason not in body
    assert "actor_id" not in body and "cause_id" not in body
    assert {t["reason"] for t in data["transfers"]} <= set(verify.PUBLIC_REASONS.values())

    # and yet the hash chain and every balance verify from the file alone
    report = verify.verify_export(data)
    assert report.ok and report.unrecomputed == 0, report
    assert [t["hash"] for t in data["transfers"] if t["seq"]] == [p.hash for p in postings]
    # a second download uses other account pseudonyms: downloads cannot be joined by account
    again = (await api.client.get("/ledger/T-C1.json")).json()
    assert verify.verify_export(again).ok
    assert {a["id"] for a in again["accounts"]}.isdisjoint({a["id"] for a in data["accounts"]})

    # and a tampered amount is found: by the hash, even with the balances fixed to match
    tampered = copy.deepcopy(data)
    target = tampered["transfers"][0]
    target["amount"] += 100
    for account in tampered["accounts"]:
        if account["id"] == target["credit_account_id"]:
            account["credits_posted"] += 100
        if account["id"] == target["debit_account_id"]:
            account["debits_posted"] += 100
    assert verify.verify_export(tampered).broken == verify.BrokenLink(
        str(books.community_id), 1, str(postings[0].id), "hash does not match the transfer's fields"
    )

    # the command line: verify the downloaded file without any database; the tampered one fails
    nowhere = "postgresql://nobody@127.0.0.1:1/none"
    good, bad = tmp_path / "c1.json", tmp_path / "tampered.json"
    good.write_text(body, encoding="utf-8")
    bad.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    ok = await asyncio.to_thread(run_cli, "verify", "--from-json", str(good), database_url=nowhere)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    refused = await asyncio.to_thread(
        run_cli, "verify", "--from-json", str(bad), database_url=nowhere
    )
    assert refused.returncode == 1 and f"seq 1, transfer {postings[0].id}" in refused.stdout
    # and so does `gridpoints ledger export`: the same public form
    out = tmp_path / "exported.json"
    done = await asyncio.to_thread(
        run_cli, "export", "--community", "T-C1", "--out", str(out), database_url=database_url
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = out.read_text(encoding="utf-8")
    assert json.loads(written)["format"] == verify.PUBLIC
    assert all(str(person) not in written for person in books.world.people.values())
    assert STAFF_REASONS[0] not in written


async def test_chains_hashed_in_the_older_form_still_verify(
    books: Books, session: AsyncSession, state: AppState
) -> None:
    # given a chain whose first two postings were hashed before the commitment existed
    postings = await staff_history(session, books)
    previous = "0" * 64
    async with state.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE ledger_transfer DISABLE TRIGGER ALL"))
        for number, posting in enumerate(postings):
            fields = {name: getattr(posting, name) for name in verify.TRANSFER_FIELDS}
            fields["prev_hash"] = previous
            previous = (legacy_hash if number < 2 else chain_hash)(fields)
            await connection.execute(
                text("UPDATE ledger_transfer SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": fields["prev_hash"], "h": previous, "id": posting.id},
            )
        await connection.execute(text("ALTER TABLE ledger_transfer ENABLE TRIGGER ALL"))
        await connection.execute(
            text("UPDATE ledger_chain_head SET hash = :h WHERE community_id = :c"),
            {"h": previous, "c": books.community_id},
        )

    # then the database verify recomputes both forms
    assert (await verify.verify_database(session)).ok
    # and the public export verifies: the older postings by their links, the rest by hash
    community = await session.get(OrgUnit, books.community_id)
    assert community is not None
    data = json.loads(json.dumps(await verify.export(session, community)))
    chained = [t for t in data["transfers"] if t["seq"]]
    assert [t["private"] is None for t in chained] == [True, True, False, False, False]
    report = verify.verify_export(data)
    assert report.ok and report.unrecomputed == 2, report
    tampered = copy.deepcopy(data)
    chained_tampered = [t for t in tampered["transfers"] if t["seq"]]
    chained_tampered[2]["amount"] += 1
    broken = verify.verify_export(tampered).broken
    assert broken is not None and (broken.seq, broken.problem) == (
        3,
        "hash does not match the transfer's fields",
    )
    # an older form after the newer one is a broken link (no downgrade of later postings)
    full = json.loads(json.dumps(await verify.full_export(session, community)))
    later = [t for t in full["transfers"] if t["seq"]]
    previous = later[2]["prev_hash"]
    for posting in later[2:]:
        posting["prev_hash"] = previous
        posting["hash"] = previous = (legacy_hash if posting is later[3] else chain_hash)(posting)
    full["head"]["hash"] = previous
    broken = verify.verify_export(full).broken
    assert broken is not None and (broken.seq, broken.problem) == (
        4,
        "hashed in the older form after a posting of the newer",
    )


async def test_only_communities_have_a_public_ledger(api: Api, books: Books) -> None:
    assert (await api.client.get("/ledger/T-A.json")).status_code == 404  # a grid, not a community
    assert (await api.client.get("/ledger/NOPE.json")).status_code == 404
