"""Sign in with WeChat, bind it once by an SMS code, unbind it (rules: services/auth/wechat.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.mutations import SignInPayload, signed_in_payload
from schema.auth.types import WechatSource
from schema.context import Context
from schema.errors import Error, user_error
from schema.mutations import perform
from schema.people.types import Person
from services.auth import wechat
from services.errors import DomainError
from services.wechat import WechatSource as Source


@strawberry.type(description="Which WeChat sign-ins this platform offers.")
class WechatSignInOptions:
    official_account: bool = strawberry.field(
        description="Sign-in from the official account's web pages (`wechatAuthorizeUrl`)."
    )
    mini_program: bool = strawberry.field(description="Sign-in from the mini program.")
    official_account_app_id: str | None = strawberry.field(
        description="The official account's app id, when configured."
    )


@strawberry.type
class WechatAuthorization:
    url: str = strawberry.field(description="Send the browser here (WeChat's authorize page).")
    state: str = strawberry.field(
        description="Comes back with the code: compare it with what you kept, then pass it to "
        "`signInWithWechat`. Valid 10 minutes."
    )


@strawberry.type
class WechatQuery:
    @strawberry.field(description="Which WeChat sign-ins are on (no sign-in needed).")
    def wechat_sign_in(self, info: Info[Context, None]) -> WechatSignInOptions:
        policy = info.context.auth.wechat
        official = policy.app(Source.OFFICIAL_ACCOUNT)
        return WechatSignInOptions(
            official_account=official is not None,
            mini_program=policy.app(Source.MINI_PROGRAM) is not None,
            official_account_app_id=official.app_id if official else None,
        )

    @strawberry.field(
        description="The official account's authorize URL (scope snsapi_base) that comes back "
        "to `redirectUri` with `code` and `state`. WECHAT_NOT_CONFIGURED when it is off."
    )
    def wechat_authorize_url(
        self, info: Info[Context, None], redirect_uri: str
    ) -> WechatAuthorization:
        found = wechat.authorize(info.context.auth, redirect_uri=redirect_uri)
        return WechatAuthorization(url=found.url, state=found.state)


@strawberry.input
class SignInWithWechatInput:
    source: WechatSource  # type: ignore[valid-type]
    code: str = strawberry.field(description="From the authorize redirect, or `wx.login()`.")
    state: str | None = strawberry.field(
        default=None, description="The redirect's `state` (the official account only)."
    )


@strawberry.type
class WechatSignInPayload:
    token: str | None = strawberry.field(
        default=None,
        description="Signed in: the WeChat identity is bound. Send as `Authorization: Bearer`.",
    )
    me: Person | None = None
    binding_ticket: str | None = strawberry.field(
        default=None,
        description="Not bound yet: bind it with `wechatBind` (a phone and its BIND_WECHAT "
        "code). Used once; valid `bindingTicketExpiresIn` seconds.",
    )
    binding_ticket_expires_in: int | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class WechatBindInput:
    ticket: str = strawberry.field(description="The `bindingTicket` of `signInWithWechat`.")
    phone: str
    code: str = strawberry.field(description="Sent by `phoneCodeRequest(BIND_WECHAT)`.")


@strawberry.type
class WechatUnbindPayload:
    unbound: int = strawberry.field(default=0, description="Bindings removed.")
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class WechatMutation:
    @strawberry.mutation(
        description="Sign in with a WeChat code. Bound: signed in. Not yet: a binding ticket. "
        "Counts against the sign-in rate limit."
    )
    async def sign_in_with_wechat(
        self, info: Info[Context, None], input: SignInWithWechatInput
    ) -> WechatSignInPayload:
        context = info.context
        try:
            answer = await context.db(
                lambda s: wechat.sign_in(
                    s,
                    context.redis,
                    context.auth,
                    source=Source(input.source),
                    code=input.code,
                    state=input.state,
                    client=context.client,
                )
            )
        except DomainError as error:
            return WechatSignInPayload(errors=[user_error(error, context.language)])
        if answer.signed_in is None:
            return WechatSignInPayload(
                binding_ticket=answer.ticket,
                binding_ticket_expires_in=context.auth.wechat.ticket_ttl,
            )
        payload = await signed_in_payload(context, answer.signed_in)
        return WechatSignInPayload(token=payload.token, me=payload.me)

    @strawberry.mutation(
        description="Bind the WeChat identity of a binding ticket to the account of a phone, by "
        "the code sent with `phoneCodeRequest(BIND_WECHAT)`, and sign in."
    )
    async def wechat_bind(self, info: Info[Context, None], input: WechatBindInput) -> SignInPayload:
        context = info.context
        try:
            signed_in = await context.db(
                lambda s: wechat.bind(
                    s,
                    context.redis,
                    context.auth,
                    ticket=input.ticket,
                    phone=input.phone,
                    code=input.code,
                    client=context.client,
                )
            )
        except DomainError as error:
            return SignInPayload(errors=[user_error(error, context.language)])
        return await signed_in_payload(context, signed_in)

    @strawberry.mutation(description="Remove your WeChat bindings; sign in by phone after.")
    async def wechat_unbind(self, info: Info[Context, None]) -> WechatUnbindPayload:
        removed, errors = await perform(info, lambda s, actor: wechat.unbind(s, actor))
        return WechatUnbindPayload(unbound=removed or 0, errors=list(errors))
