"""The SMS invite: staff registered you (one by one or by import); sign in with a code.

Sent after the commit that registered the person (:func:`services.sms.sending.send_after_commit`),
never from a transaction that rolls back; a failed send is logged and the registration stands.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.sms import SmsGateway, SmsTemplate
from services.sms.sending import send_after_commit


def invite_after_commit(
    session: AsyncSession, sms: SmsGateway | None, *, phone: str, community: str
) -> None:
    """ "You are registered in ``community`` on 网格积分: sign in with your phone and a code"."""
    if sms is None:  # the caller sends no invite (fixtures, the demo seed)
        return
    send_after_commit(
        session, sms, phone, SmsTemplate.REGISTRATION_INVITE, {"community": community}
    )
