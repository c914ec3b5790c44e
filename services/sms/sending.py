"""Sending text messages in the background, after the answer (or the commit) that caused them.

:func:`send_later` starts the send as a task of the running loop and returns at once: the
answer never waits for a provider, and never shows in its time whether a message went out. A
refused or failed send is logged (with the provider's code), never raised. :func:`drain` waits
for the sends still running (a server's shutdown, the CLI before it exits, tests).

:func:`send_after_commit` is for messages about a change: they go out only once the session's
transaction commits. A rollback (of the whole transaction, or of the savepoint the message was
asked for in) drops them, so nobody is told of a change that did not happen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from services.sms import SmsError, SmsGateway, SmsTemplate

log = logging.getLogger("gridpoints.sms")

_sending: set[asyncio.Task[None]] = set()


def mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def send_later(
    gateway: SmsGateway | None, phone: str, template: SmsTemplate, params: Mapping[str, str]
) -> None:
    """Send one message in the background (``gateway`` None: logged as an error, not sent)."""
    task = asyncio.get_running_loop().create_task(_send(gateway, phone, template, dict(params)))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _send(
    gateway: SmsGateway | None, phone: str, template: SmsTemplate, params: dict[str, str]
) -> None:
    if gateway is None:
        log.error("no SMS gateway: a %s message for %s was not sent", template.value, mask(phone))
        return
    try:
        delivery = await gateway.send(phone, template, params)
    except SmsError as error:
        log.warning("SMS to %s refused by %s: %s", mask(phone), error.provider, error.code)
    except Exception:
        log.exception("SMS to %s failed", mask(phone))
    else:
        log.info("SMS %s to %s: %s", template.value, mask(phone), delivery)


async def drain() -> None:
    """Wait for the messages being sent."""
    while _sending:
        await asyncio.gather(*list(_sending), return_exceptions=True)


# --- after the commit ---------------------------------------------------------------------------

_PENDING = "gridpoints.sms.after_commit"


@dataclass(frozen=True, slots=True)
class _Pending:
    gateway: SmsGateway | None
    phone: str
    template: SmsTemplate
    params: dict[str, str]
    asked_in: SessionTransaction | None  # the innermost transaction when it was asked for


def send_after_commit(
    session: AsyncSession,
    gateway: SmsGateway | None,
    phone: str,
    template: SmsTemplate,
    params: Mapping[str, str],
) -> None:
    """Send the message once ``session``'s transaction commits; never if it rolls back."""
    sync = session.sync_session
    if not event.contains(sync, "after_commit", _committed):
        event.listen(sync, "after_commit", _committed)
        event.listen(sync, "after_soft_rollback", _rolled_back)
    asked_in = sync.get_nested_transaction() or sync.get_transaction()
    pending: list[_Pending] = sync.info.setdefault(_PENDING, [])
    pending.append(_Pending(gateway, phone, template, dict(params), asked_in))


def _committed(session: Session) -> None:
    """The outermost transaction committed (SQLAlchemy calls this only for that one)."""
    for message in session.info.pop(_PENDING, []):
        send_later(message.gateway, message.phone, message.template, message.params)


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A transaction or savepoint rolled back: forget what was asked for inside it."""
    pending: list[_Pending] = session.info.get(_PENDING, [])
    pending[:] = [m for m in pending if not _inside(m.asked_in, previous_transaction)]


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    if transaction is None:  # asked for outside a transaction: any rollback drops it
        return True
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
