"""Helpers for the SMS code tests: the mutations, and reading codes from the dev gateway's file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.settings import Settings
from services.auth import codes
from tests.support import Api

REQUEST = """
mutation($i: PhoneCodeRequestInput!) {
  phoneCodeRequest(input: $i) { requested expiresIn retryAfter errors { code message field } }
}"""
SIGN_IN = """
mutation($i: SignInWithPhoneCodeInput!) {
  signInWithPhoneCode(input: $i) { token me { phone } errors { code message field } }
}"""
RESET = """
mutation($i: PasswordResetWithCodeInput!) {
  passwordResetWithCode(input: $i) { passwordReset sessionsRevoked errors { code message field } }
}"""
ME = "{ me { phone } }"


async def ask(
    api: Api, phone: str, purpose: str = "SIGN_IN", *, language: str | None = None
) -> dict[str, Any]:
    reply = await api(REQUEST, {"i": {"phone": phone, "purpose": purpose}}, language=language)
    payload = reply.data["phoneCodeRequest"]
    assert isinstance(payload, dict)
    return payload


async def sign_in(
    api: Api, phone: str, code: str, *, language: str | None = None
) -> dict[str, Any]:
    reply = await api(SIGN_IN, {"i": {"phone": phone, "code": code}}, language=language)
    payload = reply.data["signInWithPhoneCode"]
    assert isinstance(payload, dict)
    return payload


async def reset(api: Api, phone: str, code: str, new_password: str) -> dict[str, Any]:
    reply = await api(RESET, {"i": {"phone": phone, "code": code, "newPassword": new_password}})
    payload = reply.data["passwordResetWithCode"]
    assert isinstance(payload, dict)
    return payload


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


class Outbox:
    """The development gateway's JSON-lines file, read from where a test began."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.sms_outbox_path
        self.start = len(self._lines())

    def _lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()

    async def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        await codes.drain()  # the sends that follow the answers
        found = [json.loads(line) for line in self._lines()[self.start :]]
        return [m for m in found if phone is None or m["phone"] == phone]

    async def code(self, phone: str) -> str:
        """The code of the one message sent to ``phone`` since the last read."""
        sent = [m for m in await self.messages(phone) if "code" in m["params"]]  # not notices
        assert len(sent) == 1, sent
        self.start = len(self._lines())
        code = sent[0]["params"]["code"]
        assert isinstance(code, str)
        return code
