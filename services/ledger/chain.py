"""The per-community hash chain over posted transfers, and the head lock that serializes writes.

Every posting (kinds ``posted`` and ``post``, reversals included) gets the next ``seq`` of its
community, ``prev_hash`` = the hash of the posting before it (:data:`GENESIS_HASH` for the first),
and ``hash`` = SHA-256 (hex) of its canonical form (:func:`canonical`): the UTF-8 JSON object of
the fields below, keys sorted, no spaces, non-ASCII as is (Python:
``json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).

    amount, cause, community_id, created_at, id, kind, pending_id, point_kind, prev_hash,
    private, reverses_id, seq

``private`` is a commitment to the fields that name people (:data:`PRIVATE_FIELDS`): the SHA-256
(hex) of the same kind of JSON object of

    actor_id, cause_id, credit_account_id, debit_account_id, reason

so the chain covers who did it, why, and whose accounts moved, while the public export
(:mod:`services.ledger.verify`) carries only the commitment: anyone can recompute every hash
from the export without learning a person's id or a staff member's free-text reason. The
commitment cannot be opened by guessing: it covers the two account ids, random UUIDs that never
leave the server (the graph shows no account id, and the export shows per-export pseudonyms).

UUIDs are lowercase hyphenated strings, ``amount`` and ``seq`` are JSON integers, absent values
are ``null``, ``created_at`` is UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. Changing any field of any
posting (or dropping, inserting or reordering one) breaks every hash after it.

**The older form.** Postings hashed before the commitment existed (:func:`legacy_canonical`) hash
the private fields themselves, in one object with the others (no ``private`` key). Rows are
immutable, so they keep that hash: a chain is the older form up to some ``seq`` and the
commitment form after it, never the older form after the newer. The database verify recomputes
both forms; a public export cannot recompute the older form (it lacks the private fields), so it
checks those postings' links only and says how many there were.

``booked_on`` (the Asia/Shanghai day a posting counts for, ``YYYY-MM-DD``) joins the object only
when it is not the Asia/Shanghai day of ``created_at``, i.e. for a back-dated correction. For
every other posting it is implied by ``created_at``, so the chains hashed before transfers had a
``booked_on`` (migration 0008 filled it in from ``created_at``) verify unchanged, while changing
the ``booked_on`` of any posting still changes its hash.

Holds and voids (kinds ``pending`` and ``void``) are not chained: they move no posted points.
Their consistency is checked through the balances (every account's counters must equal the sums
of its transfers, see :mod:`services.ledger.verify`).

**Serialization.** Every ledger write of a community first locks its ``ledger_chain_head`` row
(:func:`lock_head`, ``SELECT ... FOR UPDATE``) and keeps it to the end of the transaction. So the
writes of one community run one at a time (commit order = ``seq`` order, no gaps), and since
account rows are only ever inserted or locked while holding their community's head, two ledger
transactions of one community cannot deadlock. A community's ledger write rate is tiny (a few
per second at a busy exchange counter); this is the price of a gap-free chain. A transaction
touching two communities (:func:`services.ledger.service.expire_due`) locks them in id order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.clock import local_date
from services.ledger.models import GENESIS_HASH, ChainHead

# named in the public export; hashed as they are
PUBLIC_FIELDS = (
    "amount",
    "cause",
    "community_id",
    "created_at",
    "id",
    "kind",
    "pending_id",
    "point_kind",
    "prev_hash",
    "reverses_id",
    "seq",
)
# who, why and whose: hashed through their commitment, never exported
PRIVATE_FIELDS = ("actor_id", "cause_id", "credit_account_id", "debit_account_id", "reason")
COMMITMENT = "private"
# every field of a transfer the chain covers (the older form hashes them all as they are)
CHAINED_FIELDS = tuple(sorted((*PUBLIC_FIELDS, *PRIVATE_FIELDS)))


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(moment: datetime) -> str:
    """The canonical text of a timestamp: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def plain(value: Any) -> Any:
    """A field value as it appears in the canonical form and the JSON export."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, int | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _json(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def commitment(fields: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the :data:`PRIVATE_FIELDS`: what the chain covers of them."""
    return hashlib.sha256(_json({name: plain(fields[name]) for name in PRIVATE_FIELDS})).hexdigest()


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: :data:`PUBLIC_FIELDS` as plain JSON values, the commitment to
    the private ones (``fields["private"]`` when given, as in a public export, else computed
    from them), and ``booked_on`` when it is not implied by ``created_at``. ``fields`` may be a
    row or an exported dict."""
    body = {name: plain(fields[name]) for name in PUBLIC_FIELDS}
    body[COMMITMENT] = fields[COMMITMENT] if COMMITMENT in fields else commitment(fields)
    return _json(_with_booked_on(body, fields))


def legacy_canonical(fields: Mapping[str, Any]) -> bytes:
    """The older form: every one of :data:`CHAINED_FIELDS` as it is (see the module docstring)."""
    body = {name: plain(fields[name]) for name in CHAINED_FIELDS}
    return _json(_with_booked_on(body, fields))


def _with_booked_on(body: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    booked_on = plain(fields.get("booked_on"))
    if booked_on is not None and booked_on != implied_booked_on(body["created_at"]):
        body["booked_on"] = booked_on
    return body


def implied_booked_on(created_at: str) -> str:
    """The Asia/Shanghai day of a canonical timestamp: the ``booked_on`` it implies."""
    moment = datetime.strptime(created_at, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return local_date(moment).isoformat()


def chain_hash(fields: Mapping[str, Any]) -> str:
    """The hash of a posting, as written today."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def legacy_hash(fields: Mapping[str, Any]) -> str:
    """The hash of a posting in the older form (its private fields needed)."""
    return hashlib.sha256(legacy_canonical(fields)).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    community_id: uuid.UUID
    seq: int
    hash: str


async def lock_head(session: AsyncSession, community_id: uuid.UUID) -> Head:
    """Lock the community's chain head for the rest of the transaction; create it if missing."""
    stmt = (
        select(ChainHead.seq, ChainHead.hash)
        .where(ChainHead.community_id == community_id)
        .with_for_update()
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        await session.execute(
            insert(ChainHead)
            .values(community_id=community_id, seq=0, hash=GENESIS_HASH)
            .on_conflict_do_nothing()
        )
        row = (await session.execute(stmt)).one()
    return Head(community_id=community_id, seq=row.seq, hash=row.hash)
