"""GraphQL types of the points ledger: ``LedgerTransfer`` (a Node), accounts, balances and
closed months."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.people.types import Person
from schema.relay import Connection, Node, connection, to_global_id
from services.ledger import models, periods
from services.ledger import queries as ledger_queries
from services.pagination import DEFAULT_FIRST

# The one GraphQL PointKind (schema.orders may import it from here).
PointKind = strawberry.enum(models.PointKind, name="PointKind", description="工作积分 / 网格积分")
LedgerTransferKind = strawberry.enum(
    models.TransferKind,
    name="LedgerTransferKind",
    description="POSTED moves points at once; PENDING holds them until a POST or VOID.",
)
LedgerCause = strawberry.enum(models.Cause, name="LedgerCause", description="Why points moved.")
LedgerAccountType = strawberry.enum(models.AccountType, name="LedgerAccountType")


@strawberry.enum(description="Whether an entry adds to (CREDIT) or takes from (DEBIT) you.")
class LedgerDirection(Enum):
    CREDIT = "credit"
    DEBIT = "debit"


@strawberry.type(description="One side of a transfer: a person's account or a system account.")
class LedgerAccount:
    person_local_id: strawberry.Private[uuid.UUID | None]
    type: LedgerAccountType  # type: ignore[valid-type]
    point_kind: PointKind  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, account: models.Account) -> LedgerAccount:
        return cls(person_local_id=account.person_id, type=account.type, point_kind=account.kind)

    @strawberry.field(description="The account's owner, if a person you may see.")
    async def person(self, info: Info[Context, None]) -> Person | None:
        if self.person_local_id is None:
            return None
        person = await (await info.context.loaders()).person.load(self.person_local_id)
        return Person.from_model(person) if person else None


@strawberry.type(description="积分流水: one immutable ledger entry. Corrections are reversals.")
class LedgerTransfer(Node):
    local_id: strawberry.Private[uuid.UUID]
    kind: LedgerTransferKind  # type: ignore[valid-type]
    point_kind: PointKind  # type: ignore[valid-type]
    amount: int
    direction: LedgerDirection | None = strawberry.field(
        description="Relative to the person whose ledger is read; null in a community's ledger."
    )
    cause: LedgerCause  # type: ignore[valid-type]
    reason: str
    created_at: datetime
    booked_on: date = strawberry.field(
        description="The day (Asia/Shanghai) it counts for in the monthly statistics: the day it "
        "was written, or an earlier one for a back-dated correction."
    )
    expires_at: datetime | None = strawberry.field(description="When a hold lapses, if it does.")
    hold_id: strawberry.ID | None = strawberry.field(description="The hold a POST or VOID ends.")
    reverses_id: strawberry.ID | None = strawberry.field(description="The entry this reverses.")
    seq: int | None = strawberry.field(description="Place in the community's hash chain.")
    prev_hash: str | None
    hash: str | None = strawberry.field(
        description="SHA-256 over this entry's fields and the previous hash (see the export)."
    )
    debit_account: LedgerAccount
    credit_account: LedgerAccount

    @classmethod
    def from_model(
        cls, transfer: models.Transfer, viewer: uuid.UUID | None = None
    ) -> LedgerTransfer:
        """``transfer`` with its accounts loaded; ``direction`` as ``viewer`` (a person) sees it."""
        debit, credit = transfer.debit_account, transfer.credit_account
        direction = None
        if viewer is not None and credit.person_id == viewer:
            direction = LedgerDirection.CREDIT
        elif viewer is not None and debit.person_id == viewer:
            direction = LedgerDirection.DEBIT
        return cls(
            id=to_global_id("LedgerTransfer", transfer.id),
            local_id=transfer.id,
            kind=transfer.kind,
            point_kind=transfer.point_kind,
            amount=transfer.amount,
            direction=direction,
            cause=transfer.cause,
            reason=transfer.reason,
            created_at=transfer.created_at,
            booked_on=transfer.booked_on,
            expires_at=transfer.expires_at,
            hold_id=to_global_id("LedgerTransfer", transfer.pending_id)
            if transfer.pending_id
            else None,
            reverses_id=to_global_id("LedgerTransfer", transfer.reverses_id)
            if transfer.reverses_id
            else None,
            seq=transfer.seq,
            prev_hash=transfer.prev_hash,
            hash=transfer.hash,
            debit_account=LedgerAccount.from_model(debit),
            credit_account=LedgerAccount.from_model(credit),
        )


@strawberry.type(description="Your balance of one point kind.")
class LedgerBalance:
    point_kind: PointKind  # type: ignore[valid-type]
    posted: int = strawberry.field(description="Points booked to you, minus points you spent.")
    held_out: int = strawberry.field(description="Reserved by your redemptions awaiting pickup.")
    held_in: int = strawberry.field(description="Granted to you, still in publicity.")
    available: int = strawberry.field(description="What you can spend now: posted − held out.")

    @classmethod
    def from_balance(cls, balance: ledger_queries.Balance) -> LedgerBalance:
        return cls(
            point_kind=balance.point_kind,
            posted=balance.posted,
            held_out=balance.held_out,
            held_in=balance.held_in,
            available=balance.available,
        )


@strawberry.type(description="我的积分: your balances and your entries.")
class MyLedger:
    person_local_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="One balance per point kind.")
    async def balances(self, info: Info[Context, None]) -> list[LedgerBalance]:
        found = await info.context.db(lambda s: ledger_queries.balances(s, self.person_local_id))
        return [LedgerBalance.from_balance(balance) for balance in found]

    @strawberry.field(description="Your entries, newest first.")
    async def entries(
        self,
        info: Info[Context, None],
        point_kind: PointKind | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[LedgerTransfer]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: ledger_queries.my_entries(
                s, actor, point_kind=point_kind, first=first, after=after
            )
        )
        return connection(page, lambda t: LedgerTransfer.from_model(t, viewer=actor.person_id))


@strawberry.type(description="月结: a closed month of a community; nothing more is booked into it.")
class LedgerClosedMonth:
    closed_by_local_id: strawberry.Private[uuid.UUID]
    month: str = strawberry.field(description="`YYYY-MM`.")
    closed_at: datetime

    @classmethod
    def from_model(cls, closed: models.ClosedMonth) -> LedgerClosedMonth:
        return cls(
            closed_by_local_id=closed.closed_by,
            month=periods.month_text(closed.month),
            closed_at=closed.closed_at,
        )

    @strawberry.field(description="Who closed it, if a person you may see.")
    async def closed_by(self, info: Info[Context, None]) -> Person | None:
        person = await (await info.context.loaders()).person.load(self.closed_by_local_id)
        return Person.from_model(person) if person else None
