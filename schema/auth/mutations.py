"""Sign in, sign out, change password."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error, user_error
from schema.mutations import perform
from schema.people.types import Person
from services.auth import service as auth_service
from services.errors import DomainError


@strawberry.input
class SignInInput:
    phone: str
    password: str


@strawberry.type
class SignInPayload:
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`."
    )
    me: Person | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    signed_out: bool
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class PasswordChangeInput:
    current_password: str
    new_password: str


@strawberry.type
class PasswordChangePayload:
    sessions_revoked: int = strawberry.field(
        default=0, description="Other sessions of yours that were signed out."
    )
    errors: list[Error] = strawberry.field(default_factory=list)


async def signed_in_payload(context: Context, signed_in: auth_service.SignedIn) -> SignInPayload:
    """The rest of the request acts as the person who just signed in (by password or code)."""
    actor = await context.db(lambda s: auth_service.load_actor(s, signed_in.person.id))
    context.act_as(actor, signed_in.token)
    return SignInPayload(token=signed_in.token, me=Person.from_model(signed_in.person))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in by phone number and password. Rate-limited.")
    async def sign_in(self, info: Info[Context, None], input: SignInInput) -> SignInPayload:
        context = info.context
        try:
            signed_in = await context.db(
                lambda s: auth_service.sign_in(
                    s,
                    context.redis,
                    context.auth,
                    phone=input.phone,
                    password=input.password,
                    client=context.client,
                )
            )
        except DomainError as error:
            return SignInPayload(errors=[user_error(error, context.language)])
        return await signed_in_payload(context, signed_in)

    @strawberry.mutation(description="Revoke the session this request was made with.")
    async def sign_out(self, info: Info[Context, None]) -> SignOutPayload:
        context = info.context
        if context.token is None:
            return SignOutPayload(signed_out=False)
        await auth_service.sign_out(context.redis, context.token)
        context.act_as(None, None)
        return SignOutPayload(signed_out=True)

    @strawberry.mutation(description="Change your password; your other sessions are signed out.")
    async def password_change(
        self, info: Info[Context, None], input: PasswordChangeInput
    ) -> PasswordChangePayload:
        context = info.context
        revoked, errors = await perform(
            info,
            lambda s, actor: auth_service.change_password(
                s,
                context.redis,
                context.auth,
                actor,
                current_password=input.current_password,
                new_password=input.new_password,
                current_token=context.token,
            ),
        )
        return PasswordChangePayload(sessions_revoked=revoked or 0, errors=list(errors))
