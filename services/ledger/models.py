"""The points ledger's tables: accounts, transfers, the per-community chain head, idempotency keys.

Every rule the database can hold is a constraint here (see :mod:`services.ledger` for the design):

* ``ledger_account`` keeps four counters per account (TigerBeetle's ``debits_posted``,
  ``credits_posted``, ``debits_pending``, ``credits_pending``). A person account's *available*
  balance, ``credits_posted - debits_posted - debits_pending``, may never go below zero (a CHECK);
  system accounts may: the issuance account is where points come from.
* ``ledger_transfer`` rows are immutable (a trigger, created by the migration, refuses UPDATE and
  DELETE). A post or void names its hold in ``pending_id`` (UNIQUE: a hold is resolved at most
  once, and never both posted and voided); a reversal names its original in ``reverses_id``
  (UNIQUE: reversed at most once).
* Posted transfers (kinds ``posted`` and ``post``) carry ``seq``/``prev_hash``/``hash``: a hash
  chain per community, UNIQUE (community_id, seq); ``ledger_chain_head`` holds each head.
* Every transfer has a ``booked_on`` day (Asia/Shanghai), the day it counts for in the period
  statistics: the day it was written, or an earlier one for a back-dated correction, never a later
  one (a CHECK). ``ledger_closed_month`` lists each community's closed months; a trigger (migration
  0008) refuses a transfer booked into one (see :mod:`services.ledger.periods`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, created_at, uuid_pk

REASON_MAX = 500
HASH_LENGTH = 64  # hex SHA-256
GENESIS_HASH = "0" * HASH_LENGTH  # prev_hash of a community's first posting
KEY_MAX = 200
OPERATION_MAX = 100


class PointKind(StrEnum):
    WORK = "work"  # 工作积分
    GRID = "grid"  # 网格积分


class AccountType(StrEnum):
    PERSON = "person"
    ISSUANCE = "issuance"  # where a community's points come from (goes negative)
    EXCHANGE_SINK = "exchange_sink"  # where redeemed points go
    EXPIRY = "expiry"  # where expired points go (services.ledger.expiry)


class Cause(StrEnum):
    MEETING_DECISION = "meeting_decision"
    REVERSAL = "reversal"
    REDEMPTION = "redemption"
    EXPIRY = "expiry"
    ADJUSTMENT = "adjustment"


class TransferKind(StrEnum):
    POSTED = "posted"  # single phase: moves posted balances at once
    PENDING = "pending"  # a hold: moves pending balances
    POST = "post"  # resolves a hold: pending released, ``amount`` (<= held) posted
    VOID = "void"  # resolves a hold: pending released, nothing posted


CHAINED_KINDS = (TransferKind.POSTED, TransferKind.POST)
RESOLVING_KINDS = (TransferKind.POST, TransferKind.VOID)


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def point_kind_enum() -> Enum:
    """The ``point_kind`` PostgreSQL type, created by migration 0002; other tables reuse it."""
    return Enum(PointKind, name="point_kind", values_callable=_values)


class Account(Base):
    """A ledger account: one per (community, person, point kind), or a community's system account.

    Counters change only through guarded ``UPDATE ... RETURNING`` statements in
    :mod:`services.ledger.service`, in the same transaction as the transfer that moves them.
    """

    __tablename__ = "ledger_account"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    type: Mapped[AccountType] = mapped_column(
        Enum(AccountType, name="ledger_account_type", values_callable=_values)
    )
    kind: Mapped[PointKind] = mapped_column(point_kind_enum())
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    debits_posted: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credits_posted: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    debits_pending: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credits_pending: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint(
            "community_id",
            "type",
            "kind",
            "person_id",
            name="uq_ledger_account_owner",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_ledger_account_person_id", "person_id"),
        CheckConstraint("(type = 'person') = (person_id IS NOT NULL)", name="person_iff_type"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 "
            "AND debits_pending >= 0 AND credits_pending >= 0",
            name="counters_not_negative",
        ),
        CheckConstraint(
            "type <> 'person' OR credits_posted - debits_posted - debits_pending >= 0",
            name="available_not_negative",
        ),
    )

    @property
    def posted(self) -> int:
        """Posted balance (credits minus debits); negative for the issuance account."""
        return self.credits_posted - self.debits_posted


AVAILABLE_CONSTRAINT = "ck_ledger_account_available_not_negative"
# a transfer counts for the day it was written or an earlier one (Asia/Shanghai), never a later one
BOOKED_NOT_LATER = "booked_on <= (created_at AT TIME ZONE 'Asia/Shanghai')::date"


class Transfer(Base):
    """One immutable ledger row: a posted transfer, a hold, or the post/void resolving a hold.

    ``order_key`` is a *decreasing* identity (-1, -2, ...): ascending ``order_key`` is newest
    first, which lets :func:`services.pagination.keyset_page` (ascending only) page a ledger
    newest first. ``actor_id`` is who did it (NULL only for system actions such as expiry or a
    posting at the end of publicity; the CLI operator is the nil UUID), so it has no foreign key.
    """

    __tablename__ = "ledger_transfer"

    id: Mapped[uuid.UUID] = uuid_pk()
    order_key: Mapped[int] = mapped_column(
        BigInteger, Identity(start=-1, increment=-1), unique=True
    )
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[TransferKind] = mapped_column(
        Enum(TransferKind, name="ledger_transfer_kind", values_callable=_values)
    )
    point_kind: Mapped[PointKind] = mapped_column(point_kind_enum())
    debit_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_account.id"))
    credit_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transfer.id"), unique=True
    )
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transfer.id"), unique=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cause: Mapped[Cause] = mapped_column(Enum(Cause, name="ledger_cause", values_callable=_values))
    cause_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = created_at()
    booked_on: Mapped[date] = mapped_column(Date)

    # never lazy: lists load them with joinedload (services.ledger.queries)
    debit_account: Mapped[Account] = relationship(foreign_keys=[debit_account_id], lazy="raise")
    credit_account: Mapped[Account] = relationship(foreign_keys=[credit_account_id], lazy="raise")

    __table_args__ = (
        UniqueConstraint("community_id", "seq", name="uq_ledger_transfer_community_seq"),
        Index("ix_ledger_transfer_debit", "debit_account_id", "order_key"),
        Index("ix_ledger_transfer_credit", "credit_account_id", "order_key"),
        Index("ix_ledger_transfer_community", "community_id", "order_key"),
        Index("ix_ledger_transfer_booked", "community_id", "booked_on"),
        Index(
            "ix_ledger_transfer_expiring",
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL"),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        CheckConstraint(
            "(kind IN ('post', 'void')) = (pending_id IS NOT NULL)", name="resolves_a_hold"
        ),
        CheckConstraint(
            "(cause = 'reversal') = (reverses_id IS NOT NULL) "
            "AND (reverses_id IS NULL OR kind = 'posted')",
            name="reversal_names_original",
        ),
        CheckConstraint("expires_at IS NULL OR kind = 'pending'", name="only_holds_expire"),
        CheckConstraint(
            "CASE WHEN kind IN ('posted', 'post') "
            "THEN seq > 0 AND prev_hash IS NOT NULL AND hash IS NOT NULL "
            "ELSE seq IS NULL AND prev_hash IS NULL AND hash IS NULL END",
            name="postings_chained",
        ),
        CheckConstraint("btrim(reason) <> ''", name="reason_given"),
        CheckConstraint(BOOKED_NOT_LATER, name="booked_not_later"),
    )


class ChainHead(Base):
    """The last posting of a community's hash chain. Its row lock serializes that community's
    ledger writes (see :func:`services.ledger.chain.lock_head`)."""

    __tablename__ = "ledger_chain_head"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), server_default=GENESIS_HASH)


class IdempotencyKey(Base):
    """One client key per actor: the operation, a fingerprint of the request, its result."""

    __tablename__ = "idempotency_key"

    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    operation: Mapped[str] = mapped_column(String(OPERATION_MAX))
    fingerprint: Mapped[str] = mapped_column(String(HASH_LENGTH))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"),)


class ClosedMonth(Base):
    """A month a community has closed: nothing more is booked into it (see
    :mod:`services.ledger.periods`). ``month`` is the month's first day."""

    __tablename__ = "ledger_closed_month"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("EXTRACT(DAY FROM month) = 1", name="first_day"),)
