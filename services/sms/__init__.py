"""Text messages: one small interface, :class:`SmsGateway`, and its implementations.

``dev`` (:mod:`services.sms.dev`, the default) appends each message as a JSON line to a file, so a
developer, a test or a person trying the demo reads the code there; ``aliyun`` and ``tencent``
(:mod:`services.sms.aliyun`, :mod:`services.sms.tencent`) send through the providers' official
SDKs. Which one runs is a setting (``GRIDPOINTS_SMS_GATEWAY``, see api/settings.py).

A message is a template (:class:`SmsTemplate`) and its parameters: the providers keep the text of
each template (approved with the sign name), we keep only its code; the development gateway
renders the text itself (:func:`render`) so the file reads like the message a phone would show.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol


class SmsTemplate(StrEnum):
    SIGN_IN_CODE = "sign_in_code"
    REGISTER_CODE = "register_code"
    RESET_PASSWORD_CODE = "reset_password_code"  # noqa: S105 (a template name)
    NOTICE = "notice"  # an inbox entry carried out by SMS (services/notices)
    BIND_WECHAT_CODE = "bind_wechat_code"
    # registration (services/registration): staff registered you; your application's outcome
    REGISTRATION_INVITE = "registration_invite"
    REGISTRATION_APPROVED = "registration_approved"
    REGISTRATION_REJECTED = "registration_rejected"


TEXTS: dict[SmsTemplate, str] = {
    SmsTemplate.SIGN_IN_CODE: "您的登录验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。",
    SmsTemplate.REGISTER_CODE: "您的注册验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。",
    SmsTemplate.RESET_PASSWORD_CODE: "您正在重置密码，验证码为 {code}，{minutes} 分钟内有效。"
    "如非本人操作请忽略。",
    SmsTemplate.NOTICE: "{title}。详情请打开网格积分查看。",
    SmsTemplate.BIND_WECHAT_CODE: "您正在绑定微信登录，验证码为 {code}，{minutes} 分钟内有效。"
    "如非本人操作请忽略。",
    SmsTemplate.REGISTRATION_INVITE: "您已登记为{community}居民，"
    "可在网格积分用本手机号和短信验证码登录。",
    SmsTemplate.REGISTRATION_APPROVED: "您在{community}的居民注册申请已通过，"
    "请在网格积分用本手机号和短信验证码登录。",
    SmsTemplate.REGISTRATION_REJECTED: "您在{community}的居民注册申请未通过，原因：{reason}。"
    "如有疑问请联系网格员。",
}


def render(template: SmsTemplate, params: Mapping[str, str], *, sign_name: str = "") -> str:
    text = TEXTS[template].format_map(dict(params))
    return f"【{sign_name}】{text}" if sign_name else text


class SmsError(Exception):
    """A provider refused or failed to take a message (``code`` is the provider's own)."""

    def __init__(self, provider: str, code: str, message: str = "") -> None:
        super().__init__(f"{provider}: {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message


class SmsGateway(Protocol):
    """Sends one message; returns the provider's delivery id. Raises :class:`SmsError`."""

    @property
    def name(self) -> str: ...

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str: ...
