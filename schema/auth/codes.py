"""Sign in and reset a password with a one-time SMS code (rules: services/auth/codes.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.mutations import SignInPayload, signed_in_payload
from schema.context import Context
from schema.errors import Error, user_error
from services.auth import codes
from services.auth import service as auth_service
from services.errors import DomainError, ErrorCode

PhoneCodePurpose = strawberry.enum(
    codes.CodePurpose, name="PhoneCodePurpose", description="What a one-time SMS code is for."
)


@strawberry.input
class PhoneCodeRequestInput:
    phone: str
    purpose: PhoneCodePurpose  # type: ignore[valid-type]


@strawberry.type
class PhoneCodeRequestPayload:
    requested: bool = strawberry.field(
        default=False,
        description="The request was taken. The same answer whether or not the phone is "
        "registered: a code is sent only where it can be used.",
    )
    expires_in: int | None = strawberry.field(
        default=None, description="Seconds the code is valid for."
    )
    retry_after: int | None = strawberry.field(
        default=None,
        description="Seconds until another code may be requested for this phone (after a "
        "request, or with TOO_MANY_CODE_REQUESTS).",
    )
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class SignInWithPhoneCodeInput:
    phone: str
    code: str


@strawberry.input
class PasswordResetWithCodeInput:
    phone: str
    code: str
    new_password: str


@strawberry.type
class PasswordResetWithCodePayload:
    password_reset: bool = False
    sessions_revoked: int = strawberry.field(
        default=0, description="Sessions of the account that were signed out."
    )
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class PhoneCodeMutation:
    @strawberry.mutation(
        description="Ask for a one-time code by SMS (6 digits, valid 5 minutes, 5 tries). "
        "One request per phone a minute, a daily cap per phone and per client."
    )
    async def phone_code_request(
        self, info: Info[Context, None], input: PhoneCodeRequestInput
    ) -> PhoneCodeRequestPayload:
        context = info.context
        policy = context.auth.codes
        try:
            await context.db(
                lambda s: codes.request_code(
                    s,
                    context.redis,
                    policy,
                    phone=input.phone,
                    purpose=codes.CodePurpose(input.purpose),
                    client=context.client,
                )
            )
        except DomainError as error:
            wait = error.params.get("retry_after")
            retry = wait if error.code is ErrorCode.TOO_MANY_CODE_REQUESTS else None
            return PhoneCodeRequestPayload(
                retry_after=retry, errors=[user_error(error, context.language)]
            )
        return PhoneCodeRequestPayload(
            requested=True, expires_in=policy.ttl, retry_after=policy.interval
        )

    @strawberry.mutation(description="Sign in with the code sent by `phoneCodeRequest(SIGN_IN)`.")
    async def sign_in_with_phone_code(
        self, info: Info[Context, None], input: SignInWithPhoneCodeInput
    ) -> SignInPayload:
        context = info.context
        try:
            signed_in = await context.db(
                lambda s: auth_service.sign_in_with_code(
                    s,
                    context.redis,
                    context.auth,
                    phone=input.phone,
                    code=input.code,
                    client=context.client,
                )
            )
        except DomainError as error:
            return SignInPayload(errors=[user_error(error, context.language)])
        return await signed_in_payload(context, signed_in)

    @strawberry.mutation(
        description="Set a new password with the code sent by `phoneCodeRequest(RESET_PASSWORD)`; "
        "every session of the account is signed out."
    )
    async def password_reset_with_code(
        self, info: Info[Context, None], input: PasswordResetWithCodeInput
    ) -> PasswordResetWithCodePayload:
        context = info.context
        try:
            revoked = await context.db(
                lambda s: auth_service.reset_password_with_code(
                    s,
                    context.redis,
                    context.auth,
                    phone=input.phone,
                    code=input.code,
                    new_password=input.new_password,
                    client=context.client,
                )
            )
        except DomainError as error:
            return PasswordResetWithCodePayload(errors=[user_error(error, context.language)])
        return PasswordResetWithCodePayload(password_reset=True, sessions_revoked=revoked)
