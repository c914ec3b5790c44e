"""The WeChat operations as a client sends them."""

from __future__ import annotations

from typing import Any

from tests.support import Api

OPTIONS = "{ wechatSignIn { officialAccount miniProgram officialAccountAppId } }"
AUTHORIZE = """
query($uri: String!) { wechatAuthorizeUrl(redirectUri: $uri) { url state } }"""
SIGN_IN = """
mutation($i: SignInWithWechatInput!) {
  signInWithWechat(input: $i) {
    token bindingTicket bindingTicketExpiresIn me { phone } errors { code message field }
  }
}"""
BIND = """
mutation($i: WechatBindInput!) {
  wechatBind(input: $i) { token me { phone } errors { code message field } }
}"""
UNBIND = "mutation { wechatUnbind { unbound errors { code message field } } }"
BINDINGS = "{ me { phone wechatBindings { source boundAt } } }"
REDIRECT = "https://gridpoints.test/"


async def authorize(api: Api) -> tuple[str, str]:
    reply = await api(AUTHORIZE, {"uri": REDIRECT})
    found = reply.data["wechatAuthorizeUrl"]
    return found["url"], found["state"]


async def sign_in(
    api: Api,
    code: str,
    *,
    source: str = "OFFICIAL_ACCOUNT",
    state: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    given: dict[str, Any] = {"source": source, "code": code}
    if state is not None:
        given["state"] = state
    reply = await api(SIGN_IN, {"i": given}, language=language)
    payload = reply.data["signInWithWechat"]
    assert isinstance(payload, dict)
    return payload


async def bind(api: Api, ticket: str, phone: str, code: str) -> dict[str, Any]:
    reply = await api(BIND, {"i": {"ticket": ticket, "phone": phone, "code": code}})
    payload = reply.data["wechatBind"]
    assert isinstance(payload, dict)
    return payload
