"""Public trust: the hash chain and balances, verified from the database or a JSON export."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services.ledger import check, verify
from services.ledger import service as ledger
from services.ledger.chain import chain_hash
from services.ledger.models import GENESIS_HASH, Transfer
from services.orgs.models import OrgUnit
from tests.ledger.conftest import Books, grant
from tests.ledger.test_transfers import redeem_hold

ROOT = Path(__file__).resolve().parents[2]
CLI = "from api.cli_ledger import ledger_app; ledger_app()"


async def some_history(session: AsyncSession, books: Books) -> list[Transfer]:
    """Five postings (seq 1–5) and a void: grants, a redemption, a reversal."""
    first = await grant(session, books, "resident_a", 20)
    second = await grant(session, books, "resident_b", 8)
    held = await redeem_hold(session, books, "resident_a", 6)
    picked = await ledger.post(session, pending_id=held.id, actor_id=None)
    dropped = await redeem_hold(session, books, "resident_a", 2)
    await ledger.void(session, pending_id=dropped.id, actor_id=None, reason="取消兑换")
    reversal = await ledger.reverse(
        session, transfer_id=second.id, actor_id=books.person("community_admin"), reason="发错人"
    )
    third = await grant(session, books, "resident_b", 8)
    await session.commit()
    return [first, second, picked, reversal, third]


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_chain_links_every_posting(session: AsyncSession, books: Books) -> None:
    postings = await some_history(session, books)
    assert [p.seq for p in postings] == [1, 2, 3, 4, 5]
    assert postings[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(postings):
        assert after.prev_hash == before.hash
    report = await verify.verify_database(session)
    assert report.ok, report
    assert await check.check(session) == []


async def test_editing_one_amount_in_sql_breaks_verify_at_that_transfer(
    session: AsyncSession, books: Books, state: AppState, database_url: str
) -> None:
    # given a ledger with five postings
    postings = await some_history(session, books)
    target = postings[2]  # the pickup, seq 3

    # when someone with superuser rights edits its amount behind the trigger's back
    async with state.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE ledger_transfer DISABLE TRIGGER ALL"))
        await connection.execute(
            text("UPDATE ledger_transfer SET amount = 1 WHERE id = :id"), {"id": target.id}
        )
        await connection.execute(text("ALTER TABLE ledger_transfer ENABLE TRIGGER ALL"))

    # then verify names that transfer as the first broken link, and the balances disagree
    report = await verify.verify_database(session)
    assert report.broken == verify.BrokenLink(
        str(books.community_id), 3, str(target.id), "hash does not match the transfer's fields"
    )
    assert any(f"account {target.debit_account_id}: debits_posted" in p for p in report.problems)
    assert any(str(target.credit_account_id) in p for p in await check.check(session))

    # and so does the command line, with exit code 1
    done = await asyncio.to_thread(
        run_cli, "verify", "--community", "T-C1", database_url=database_url
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"seq 3, transfer {target.id}" in done.stdout
    checked = await asyncio.to_thread(run_cli, "check", database_url=database_url)
    assert checked.returncode == 1 and str(target.credit_account_id) in checked.stdout


async def test_an_export_verifies_alone_and_shows_any_edit(
    session: AsyncSession, books: Books, tmp_path: Path, database_url: str
) -> None:
    postings = await some_history(session, books)
    community = await session.get(OrgUnit, books.community_id)
    assert community is not None
    exported = json.loads(json.dumps(await verify.export(session, community)))
    assert exported["head"] == {"seq": 5, "hash": postings[-1].hash}
    assert len(exported["transfers"]) == 8 and "person_id" not in exported["accounts"][0]
    assert verify.verify_export(exported).ok
    # the documented canonical form is all it takes to recompute a hash
    assert chain_hash(exported["transfers"][0]) == exported["transfers"][0]["hash"]

    edited = copy.deepcopy(exported)  # whose or why it moved: the commitment covers them
    edited["transfers"][1]["private"] = "0" * 64
    assert verify.verify_export(edited).broken == verify.BrokenLink(
        str(books.community_id), 2, str(postings[1].id), "hash does not match the transfer's fields"
    )
    relabelled = copy.deepcopy(exported)  # a public file gives the fixed label, no other text
    relabelled["transfers"][1]["reason"] = "改过的原因"
    assert verify.verify_export(relabelled).problems == [
        f"transfer {postings[1].id}: reason is not the public label of its cause"
    ]
    dropped = copy.deepcopy(exported)
    dropped["transfers"] = [t for t in dropped["transfers"] if t["id"] != str(postings[1].id)]
    broken = verify.verify_export(dropped).broken
    assert broken is not None and (broken.seq, broken.problem) == (3, "expected seq 2")
    rehashed = copy.deepcopy(exported)  # an edit with the hash recomputed breaks the next link
    rehashed["transfers"][0]["amount"] = 200
    rehashed["transfers"][0]["hash"] = chain_hash(rehashed["transfers"][0])
    broken = verify.verify_export(rehashed).broken
    assert broken is not None and (broken.seq, broken.transfer_id) == (2, str(postings[1].id))

    # the command line: export, then verify the file without any database
    out = tmp_path / "c1.json"
    done = await asyncio.to_thread(
        run_cli, "export", "--community", "T-C1", "--out", str(out), database_url=database_url
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["head"] == exported["head"]
    nowhere = "postgresql://nobody@127.0.0.1:1/none"
    ok = await asyncio.to_thread(run_cli, "verify", "--from-json", str(out), database_url=nowhere)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    refused = await asyncio.to_thread(
        run_cli, "verify", "--from-json", str(bad), database_url=nowhere
    )
    assert refused.returncode == 1
    assert f"seq 2, transfer {postings[1].id}" in refused.stdout


async def test_counters_edited_by_hand_are_found(
    session: AsyncSession, books: Books, state: AppState
) -> None:
    await some_history(session, books)
    async with state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE ledger_account SET credits_posted = credits_posted + 5 WHERE id = :id"),
            {"id": books.sink[next(iter(books.sink))]},
        )
    problems = await check.check(session)
    assert len(problems) == 2, problems  # the account, and its kind no longer sums to zero
    report = await verify.verify_database(session)
    assert report.broken is None and len(report.problems) == 2
