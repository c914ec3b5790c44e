"""Downloads over plain HTTP, for those the GraphQL answer links to (``csvUrl``, ``pdfUrl``):

- ``GET /reports/assessment/{unit code}/{YYYY-MM}.csv`` or ``.pdf``: a monthly assessment;
- ``GET /certificates/{certificate id}.pdf``: a volunteer certificate.

Send the session token as ``Authorization: Bearer``; the language is ``?lang=en|zh-CN``, else the
``Accept-Language`` header. A typed error answers as JSON in that language (401 signed out, 403
not yours to read, 404 unknown, 400 bad month); the services decide, exactly as for GraphQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api import documents
from api.graphql_view import bearer_token
from api.state import AppState
from schema.relay import decode_id
from services.auth.service import actor_for_token
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.i18n import Language, message, negotiate
from services.ledger.periods import parse_month
from services.orgs.models import OrgUnit
from services.orgs.service import get_unit_by_code
from services.people.models import Person
from services.reports import assessment, certificates

STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_ID: 404,
}
MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}

Render = Callable[[AsyncSession, Actor, Language], Awaitable[tuple[bytes, str, str]]]


def _language(request: Request) -> Language:
    asked = request.query_params.get("lang")
    if asked in {language.value for language in Language}:
        return Language(asked)
    return negotiate(request.headers.get("accept-language"))


async def _answer(request: Request, render: Render) -> Response:
    """Sign the caller in, render, and answer the file (or the typed error)."""
    state: AppState = request.app.state.gridpoints
    language = _language(request)
    token = bearer_token(request.headers)
    async with state.sessions() as session:
        try:
            actor = (
                await actor_for_token(session, state.redis, state.auth, token) if token else None
            )
            if actor is None:
                raise DomainError(ErrorCode.UNAUTHENTICATED)
            data, media, filename = await render(session, actor, language)
        except DomainError as error:
            body = {
                "errors": [
                    {
                        "code": error.code.name,
                        "message": message(error.code, language, error.params),
                        "field": error.field,
                    }
                ]
            }
            return JSONResponse(body, STATUS.get(error.code, 400))
        finally:
            await session.rollback()
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def assessment_file(request: Request) -> Response:
    month_text, _, extension = request.path_params["name"].rpartition(".")
    if extension not in MEDIA:
        return Response(status_code=404)

    async def render(
        session: AsyncSession, actor: Actor, language: Language
    ) -> tuple[bytes, str, str]:
        month = parse_month(month_text)
        unit = await get_unit_by_code(session, request.path_params["unit_code"])
        if unit is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="unitId")
        report = await assessment.monthly(session, actor, unit_id=unit.id, month=month)
        if extension == "csv":
            data = documents.assessment_csv(report, language)
        else:  # drawing a PDF takes tens of milliseconds: off the event loop
            data = await asyncio.to_thread(documents.assessment_pdf, report, language)
        name = f"assessment-{unit.code}-{report.month:%Y-%m}.{extension}"
        return data, MEDIA[extension], name

    return await _answer(request, render)


async def certificate_file(request: Request) -> Response:
    async def render(
        session: AsyncSession, actor: Actor, language: Language
    ) -> tuple[bytes, str, str]:
        local_id = decode_id(
            request.path_params["certificate_id"], "VolunteerCertificate", field="id"
        )
        certificate = await certificates.visible(session, actor, local_id)
        if certificate is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="id")
        person = await session.get(Person, certificate.person_id)
        community = await session.get(OrgUnit, certificate.community_id)
        assert person is not None
        assert community is not None
        data = await asyncio.to_thread(
            partial(
                documents.certificate_pdf,
                certificate,
                name=person.name,
                community=community.name,
                language=language,
            )
        )
        return data, MEDIA["pdf"], f"certificate-{certificate.number}.pdf"

    return await _answer(request, render)


ROUTES = [
    Route("/reports/assessment/{unit_code}/{name}", assessment_file, methods=["GET"]),
    Route("/certificates/{certificate_id}.pdf", certificate_file, methods=["GET"]),
]
