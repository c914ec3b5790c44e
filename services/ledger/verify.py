"""Public trust: export a community's ledger as JSON, and verify a ledger from that or the database.

:func:`verify_export` works on the export alone (no database), so anyone who downloads the file
can check it; :func:`verify_database` exports each community in memory, with every field, and
runs the same code. It checks, and names the first problem it finds:

1. the hash chain (:mod:`services.ledger.chain`): ``seq`` runs 1, 2, 3... without gaps, each
   ``prev_hash`` is the hash before it, each ``hash`` recomputes, the head is the last posting.
   A break is a :class:`BrokenLink` (community, seq, transfer id);
2. holds: every post or void resolves a hold of the same accounts, a void releases what was held,
   a post takes at most that; a reversal mirrors the posting it names; no transfer is booked on a
   day after the one it was written (exports made before ``booked_on`` existed lack it: fine);
3. balances: every account's four counters equal the sums of its transfers (posted counters: the
   postings; pending counters: the holds not yet resolved), each point kind sums to zero, and no
   person account has a negative available balance.

:func:`services.ledger.check.check` is the quick in-database form of 3, for a cron job.

**The public export names nobody** (format :data:`PUBLIC`, what ``GET /ledger/<code>.json`` and
``gridpoints ledger export`` write). Decided so:

* no actor: ``actor_id`` (a person's id, or staff's) is not in it, nor is ``cause_id`` (it names
  a grant of the public board or a redemption, which name people);
* no free text: ``reason`` is the fixed public label of the transfer's cause
  (:data:`PUBLIC_REASONS`), never what staff typed; a file with any other reason fails verify;
* no stable account ids: accounts (and the two sides of each transfer) are named by a pseudonym
  valid within one export only, an HMAC of the account id with a random key made for that export
  and then forgotten; two downloads cannot be joined account by account, while one download still
  checks every balance. Account types and point kinds stay (the balance rules need them);
* the hash chain still verifies: the chain covers a commitment to those private fields
  (:func:`services.ledger.chain.commitment`), and each exported posting carries it as ``private``.
  Postings hashed in the older form (before the commitment existed; rows are immutable, so they
  keep it) carry ``private: null``: their links are checked, their hash cannot be recomputed from
  a public file (:attr:`Report.unrecomputed` counts them; the database verify recomputes them).

Exports of format :data:`FULL` carry every field (what older downloads are, and what
:func:`verify_database` checks); they still verify, in either hash form. The staff graph
(``communityLedger``) is unchanged: staff may see who.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.ledger.chain import (
    CHAINED_FIELDS,
    COMMITMENT,
    PUBLIC_FIELDS,
    chain_hash,
    commitment,
    implied_booked_on,
    legacy_hash,
    plain,
    timestamp,
)
from services.ledger.models import (
    GENESIS_HASH,
    Account,
    AccountType,
    Cause,
    ChainHead,
    Transfer,
    TransferKind,
)
from services.orgs.models import OrgUnit

FULL = "gridpoints-ledger/1"  # every field: the database verify, and downloads made before /2
PUBLIC = "gridpoints-ledger/2"  # names nobody (see the module docstring)
FORMATS = (FULL, PUBLIC)
# the one reason a public export gives for each cause
PUBLIC_REASONS: dict[str, str] = {
    Cause.MEETING_DECISION.value: "联席会议评定积分",
    Cause.REVERSAL.value: "冲正",
    Cause.REDEMPTION.value: "积分兑换",
    Cause.EXPIRY.value: "积分过期",
    Cause.ADJUSTMENT.value: "积分调整",
}
ACCOUNT_FIELDS = (
    "id",
    "type",
    "point_kind",
    "debits_posted",
    "credits_posted",
    "debits_pending",
    "credits_pending",
)
TRANSFER_FIELDS = (*CHAINED_FIELDS, "booked_on", "hash", "expires_at")
PUBLIC_TRANSFER_FIELDS = (
    *PUBLIC_FIELDS,
    "debit_account_id",
    "credit_account_id",
    "reason",
    "booked_on",
    "hash",
    "expires_at",
    COMMITMENT,
)
COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
CHAINED = {TransferKind.POSTED.value, TransferKind.POST.value}

Export = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BrokenLink:
    community_id: str
    seq: int | None
    transfer_id: str | None
    problem: str

    def __str__(self) -> str:
        return (
            f"community {self.community_id}, seq {self.seq}, transfer {self.transfer_id}: "
            f"{self.problem}"
        )


@dataclass
class Report:
    communities: int = 0
    transfers: int = 0
    accounts: int = 0
    broken: BrokenLink | None = None  # the first break of a hash chain
    problems: list[str] = field(default_factory=list)  # holds and balances
    # postings of a public export hashed in the older form: linked, but not recomputable
    unrecomputed: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.problems


# export -----------------------------------------------------------------------------------------


async def export(session: AsyncSession, community: OrgUnit) -> Export:
    """The community's public ledger (format :data:`PUBLIC`), oldest transfer first: it names
    nobody (see the module docstring)."""
    full = await full_export(session, community)
    key = secrets.token_bytes(32)  # this export's pseudonyms; forgotten when it returns

    def alias(account_id: str) -> str:
        digest = hmac.new(key, uuid.UUID(account_id).bytes, hashlib.sha256).hexdigest()
        return f"acct-{digest[:32]}"

    accounts = [{**account, "id": alias(account["id"])} for account in full["accounts"]]
    return {
        **full,
        "format": PUBLIC,
        "accounts": sorted(accounts, key=lambda account: str(account["id"])),
        "transfers": [_public(transfer, alias) for transfer in full["transfers"]],
    }


def _public(transfer: Mapping[str, Any], alias: Callable[[str], str]) -> dict[str, Any]:
    public = {name: transfer[name] for name in PUBLIC_TRANSFER_FIELDS if name != COMMITMENT}
    public["debit_account_id"] = alias(transfer["debit_account_id"])
    public["credit_account_id"] = alias(transfer["credit_account_id"])
    public["reason"] = PUBLIC_REASONS[transfer["cause"]]
    older = transfer["kind"] in CHAINED and legacy_hash(transfer) == transfer["hash"]
    chained = transfer["kind"] in CHAINED and not older
    public[COMMITMENT] = commitment(transfer) if chained else None
    return public


async def full_export(session: AsyncSession, community: OrgUnit) -> Export:
    """The community's whole ledger with every field (format :data:`FULL`), oldest transfer
    first: what the database verify checks. Never published: it names people."""
    fresh = {"populate_existing": True}  # what the table holds, not what this session cached
    head = await session.get(ChainHead, community.id, populate_existing=True)
    accounts = await session.scalars(
        select(Account)
        .where(Account.community_id == community.id)
        .order_by(Account.id)
        .execution_options(**fresh)
    )
    transfers = await session.scalars(
        select(Transfer)
        .where(Transfer.community_id == community.id)
        .order_by(Transfer.order_key.desc())
        .execution_options(**fresh)
    )
    return {
        "format": FULL,
        "exported_at": timestamp(clock.now()),
        "community": {"id": str(community.id), "code": community.code, "name": community.name},
        "head": {
            "seq": head.seq if head else 0,
            "hash": head.hash if head else GENESIS_HASH,
        },
        "accounts": [
            {
                "id": str(a.id),
                "type": a.type.value,
                "point_kind": a.kind.value,
                **{name: getattr(a, name) for name in COUNTERS},
            }
            for a in accounts
        ],
        "transfers": [
            {name: plain(getattr(t, name)) for name in TRANSFER_FIELDS} for t in transfers
        ],
    }


async def verify_database(
    session: AsyncSession, *, community_id: uuid.UUID | None = None
) -> Report:
    """Verify every community's ledger (or one), community by community, by code."""
    # EXISTS (an index probe per unit), not IN (subquery): past work_mem the IN falls back to
    # scanning every account for every unit, which never finished on a city's 2M accounts
    stmt = select(OrgUnit).where(
        or_(
            exists().where(Account.community_id == OrgUnit.id),
            exists().where(ChainHead.community_id == OrgUnit.id),
        )
    )
    if community_id is not None:
        stmt = stmt.where(OrgUnit.id == community_id)
    report = Report()
    for community in await session.scalars(stmt.order_by(OrgUnit.code)):
        verify_export(await full_export(session, community), report)
    return report


# verify -----------------------------------------------------------------------------------------


def verify_export(data: Mapping[str, Any], report: Report | None = None) -> Report:
    """Verify one community's export (see the module docstring); add to ``report``."""
    report = report or Report()
    form = data.get("format")
    if form not in FORMATS:
        report.problems.append(f"not a {' or '.join(FORMATS)} export")
        return report
    community = str(data["community"]["id"])
    transfers: list[Mapping[str, Any]] = list(data["transfers"])
    accounts: dict[str, Mapping[str, Any]] = {str(a["id"]): a for a in data["accounts"]}
    report.communities += 1
    report.transfers += len(transfers)
    report.accounts += len(accounts)
    if report.broken is None:
        report.broken = _chain(community, transfers, data["head"], report)
    if form == PUBLIC:
        report.problems += [
            f"transfer {t['id']}: reason is not the public label of its cause"
            for t in transfers
            if t.get("reason") != PUBLIC_REASONS.get(str(t["cause"]))
        ]
    report.problems += _holds(community, transfers, accounts)
    report.problems += _balances(community, transfers, accounts)
    return report


def _chain(
    community: str,
    transfers: Iterable[Mapping[str, Any]],
    head: Mapping[str, Any],
    report: Report,
) -> BrokenLink | None:
    postings = sorted(
        (t for t in transfers if t["kind"] in CHAINED or t.get("seq") is not None),
        key=lambda t: (t.get("seq") is None, t.get("seq") or 0),
    )
    previous = GENESIS_HASH
    newer_seen = False  # the commitment form: no posting of the older form may follow one
    for expected, posting in enumerate(postings, start=1):
        problem, older = _link_problem(community, posting, expected, previous)
        if problem is None and older and newer_seen:
            problem = "hashed in the older form after a posting of the newer"
        if problem:
            return BrokenLink(community, posting.get("seq"), str(posting["id"]), problem)
        newer_seen = newer_seen or not older
        if older and COMMITMENT in posting:
            report.unrecomputed += 1
        previous = posting["hash"]
    count = len(postings)
    if head["seq"] != count or head["hash"] != previous:
        last = str(postings[-1]["id"]) if postings else None
        return BrokenLink(community, int(head["seq"]), last, "head is not the last posting")
    return None


def _link_problem(
    community: str, posting: Mapping[str, Any], expected: int, previous: str
) -> tuple[str | None, bool]:
    """What is wrong with the posting's link, if anything; and whether it is of the older form
    (a public export of one carries ``private: null``, its private fields are not there)."""
    if posting["kind"] not in CHAINED or posting.get("community_id") != community:
        return "chained, yet not a posting of this community", False
    if posting.get("seq") != expected:
        return f"expected seq {expected}", False
    if posting["prev_hash"] != previous:
        return "prev_hash is not the hash of the posting before", False
    if COMMITMENT in posting and posting[COMMITMENT] is None:
        return None, True
    if chain_hash(posting) == posting["hash"]:
        return None, False
    if COMMITMENT not in posting and legacy_hash(posting) == posting["hash"]:
        return None, True
    return "hash does not match the transfer's fields", False


def _holds(
    community: str, transfers: list[Mapping[str, Any]], accounts: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    problems: list[str] = []
    by_id = {str(t["id"]): t for t in transfers}
    for t in transfers:
        tid = str(t["id"])
        for side in ("debit_account_id", "credit_account_id"):
            account = accounts.get(str(t[side]))
            if account is None or account["point_kind"] != t["point_kind"]:
                problems.append(f"transfer {tid}: {side} is not an account of its kind here")
        if t["community_id"] != community:
            problems.append(f"transfer {tid}: belongs to another community")
        if not isinstance(t["amount"], int) or t["amount"] <= 0:
            problems.append(f"transfer {tid}: amount is not a positive integer")
        if t.get("booked_on") and str(t["booked_on"]) > implied_booked_on(t["created_at"]):
            problems.append(f"transfer {tid}: booked on a day after it was written")
        if t["kind"] in ("post", "void"):
            hold = by_id.get(str(t["pending_id"]))
            if hold is None or hold["kind"] != "pending" or not _same_sides(hold, t):
                problems.append(f"transfer {tid}: does not resolve a hold of the same accounts")
            elif t["kind"] == "void" and t["amount"] != hold["amount"]:
                problems.append(f"transfer {tid}: void releases other than what was held")
            elif t["amount"] > hold["amount"]:
                problems.append(f"transfer {tid}: posts more than was held")
        if t["reverses_id"] is not None:
            original = by_id.get(str(t["reverses_id"]))
            if (
                original is None
                or original["kind"] not in CHAINED
                or original["amount"] != t["amount"]
                or original["debit_account_id"] != t["credit_account_id"]
                or original["credit_account_id"] != t["debit_account_id"]
            ):
                problems.append(f"transfer {tid}: does not mirror the posting it reverses")
    return problems


def _same_sides(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(
        a[name] == b[name] for name in ("debit_account_id", "credit_account_id", "point_kind")
    )


def _balances(
    community: str, transfers: list[Mapping[str, Any]], accounts: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    resolved = {str(t["pending_id"]) for t in transfers if t["kind"] in ("post", "void")}
    for t in transfers:
        if t["kind"] in CHAINED:
            side = "posted"
        elif t["kind"] == "pending" and str(t["id"]) not in resolved:
            side = "pending"
        else:
            continue
        sums[str(t["debit_account_id"])][f"debits_{side}"] += t["amount"]
        sums[str(t["credit_account_id"])][f"credits_{side}"] += t["amount"]
    problems: list[str] = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account_id, account in accounts.items():
        for name in COUNTERS:
            if account[name] != sums[account_id][name]:
                problems.append(
                    f"account {account_id}: {name} is {account[name]}, "
                    f"its transfers sum to {sums[account_id][name]}"
                )
        total = totals[account["point_kind"]]
        total[0] += account["credits_posted"] - account["debits_posted"]
        total[1] += account["credits_pending"] - account["debits_pending"]
        available = account["credits_posted"] - account["debits_posted"] - account["debits_pending"]
        if account["type"] == AccountType.PERSON.value and available < 0:
            problems.append(f"account {account_id}: negative available balance {available}")
    for kind, (posted, pending) in sorted(totals.items()):
        if posted or pending:
            problems.append(
                f"community {community}: {kind} points sum to {posted} posted, "
                f"{pending} pending, not zero"
            )
    return problems
