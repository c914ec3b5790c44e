"""Staff work on the ledger: ``ledgerAdjust`` and ``ledgerReverse`` correct it, ``ledgerMonthClose``
closes a month.

The corrections move points, so both take an ``idempotencyKey``: a retry with the same key and
input returns the first result; the same key with other input is ``IDEMPOTENCY_KEY_REUSED``.
"""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.ledger.types import LedgerClosedMonth, LedgerTransfer, PointKind
from schema.mutations import perform
from schema.relay import decode_id
from services.ledger import admin, models, periods


def _person_side(transfer: models.Transfer) -> uuid.UUID | None:
    return transfer.credit_account.person_id or transfer.debit_account.person_id


@strawberry.input
class LedgerAdjustInput:
    person_id: strawberry.ID
    point_kind: PointKind  # type: ignore[valid-type]
    amount: int = strawberry.field(description="Points to add (> 0) or take away (< 0).")
    reason: str
    idempotency_key: str = strawberry.field(description="Unique per attempt; reuse it to retry.")
    booked_on: date | None = strawberry.field(
        default=None,
        description="Back-date the correction to this past day (Asia/Shanghai) of a month not "
        "closed; today if omitted.",
    )


@strawberry.type
class LedgerAdjustPayload:
    transfer: LedgerTransfer | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class LedgerReverseInput:
    transfer_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description="Unique per attempt; reuse it to retry.")


@strawberry.type
class LedgerReversePayload:
    transfer: LedgerTransfer | None = strawberry.field(default=None, description="The reversal.")
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class LedgerMonthCloseInput:
    community_id: strawberry.ID
    month: str = strawberry.field(description="`YYYY-MM`, a month that is over.")


@strawberry.type
class LedgerMonthClosePayload:
    closed_month: LedgerClosedMonth | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(
        description="积分调整: add or take away a person's points, with a reason (their "
        "community's admins; never your own)."
    )
    async def ledger_adjust(
        self, info: Info[Context, None], input: LedgerAdjustInput
    ) -> LedgerAdjustPayload:
        transfer, errors = await perform(
            info,
            lambda s, actor: admin.adjust(
                s,
                actor,
                person_id=decode_id(input.person_id, "Person", field="personId"),
                point_kind=input.point_kind,
                amount=input.amount,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                booked_on=input.booked_on,
            ),
        )
        return LedgerAdjustPayload(
            transfer=LedgerTransfer.from_model(transfer, viewer=_person_side(transfer))
            if transfer
            else None,
            errors=list(errors),
        )

    @strawberry.mutation(
        description="冲正: reverse a posting with a reason; it stays in the ledger, named."
    )
    async def ledger_reverse(
        self, info: Info[Context, None], input: LedgerReverseInput
    ) -> LedgerReversePayload:
        transfer, errors = await perform(
            info,
            lambda s, actor: admin.reverse(
                s,
                actor,
                transfer_id=decode_id(input.transfer_id, "LedgerTransfer", field="transferId"),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        return LedgerReversePayload(
            transfer=LedgerTransfer.from_model(transfer) if transfer else None,
            errors=list(errors),
        )

    @strawberry.mutation(
        description="月结: close a month that is over; nothing more can be booked into it "
        "(the community's admins)."
    )
    async def ledger_month_close(
        self, info: Info[Context, None], input: LedgerMonthCloseInput
    ) -> LedgerMonthClosePayload:
        closed, errors = await perform(
            info,
            lambda s, actor: periods.close_month(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                month=periods.parse_month(input.month),
            ),
        )
        return LedgerMonthClosePayload(
            closed_month=LedgerClosedMonth.from_model(closed) if closed else None,
            errors=list(errors),
        )
