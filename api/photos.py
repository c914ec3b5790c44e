"""Demand photos over plain HTTP: upload the bytes, get an id to cite; download what you may see.

Upload is ``POST /photos`` with the image as the raw request body (no multipart): one photo per
request, refused (429) past the person's short-burst limit before the body is read, then read with
a hard size cap before anything is parsed, type judged by the bytes, counted against the person's
daily quota (429) and decoded and re-encoded (:mod:`services.demands.photos`). A
GraphQL multipart upload would need python-multipart and the CSRF preflight rules of the multipart
request spec, for no gain: the mutations cite the returned ids (``photoIds``). Download is
``GET /photos/{id}``, answered only to those who may see the demand (or the uploader, before the
photo is attached); anyone else gets 404, as for a photo that does not exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.graphql_view import bearer_token
from api.state import AppState
from schema.relay import decode_id, to_global_id
from services.auth.service import actor_for_token
from services.demands import photos
from services.demands import queries as demand_queries
from services.errors import DomainError, ErrorCode
from services.i18n import message, negotiate

STATUS = {
    ErrorCode.UPLOAD_TOO_LARGE: 413,
    ErrorCode.UPLOAD_WRONG_TYPE: 415,
    ErrorCode.UPLOAD_BROKEN: 422,
    ErrorCode.UPLOAD_TOO_MANY_PIXELS: 422,
    ErrorCode.UPLOAD_QUOTA_EXCEEDED: 429,
    ErrorCode.UPLOAD_RATE_LIMITED: 429,
}


def _error(request: Request, error: DomainError, status: int) -> JSONResponse:
    language = negotiate(request.headers.get("accept-language"))
    body = {
        "errors": [
            {
                "code": error.code.name,
                "message": message(error.code, language, error.params),
                "field": error.field,
            }
        ]
    }
    retry_after = error.params.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status, headers=headers)


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (whatever Content-Length claimed)."""
    declared = request.headers.get("content-length")
    too_large = photos.too_large(limit)
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    state: AppState = request.app.state.gridpoints
    settings = state.settings
    store = settings.photo_store
    token = bearer_token(request.headers)
    async with state.sessions() as session:
        actor = await actor_for_token(session, state.redis, state.auth, token) if token else None
    if actor is None:
        return _error(request, DomainError(ErrorCode.UNAUTHENTICATED), 401)
    policy = settings.photo_policy
    # a second session: no database connection is held while the body is read and decoded
    async with state.sessions() as session:
        try:
            await photos.admit(state.redis, policy, actor)
            data = await _body(request, policy.max_bytes)
            photo = await photos.upload(
                session,
                state.redis,
                actor,
                data=data,
                store=store,
                policy=policy,
                decodes=state.decodes,
            )
        except DomainError as error:
            await session.rollback()
            return _error(request, error, STATUS.get(error.code, 400))
        try:
            await session.commit()
        except BaseException:
            await store.delete(photo.key)
            raise
        body = {"id": to_global_id("DemandPhoto", photo.id), "contentType": photo.content_type}
        return JSONResponse({**body, "size": photo.size}, 201)


async def download(request: Request) -> Response:
    state: AppState = request.app.state.gridpoints
    token = bearer_token(request.headers)
    async with state.sessions() as session:
        actor = await actor_for_token(session, state.redis, state.auth, token) if token else None
        if actor is None:
            return _error(request, DomainError(ErrorCode.UNAUTHENTICATED), 401)
        try:
            photo_id = decode_id(request.path_params["photo_id"], "DemandPhoto", field="id")
        except DomainError:
            return Response(status_code=404)
        photo = await demand_queries.visible_photo(session, actor, photo_id)
    if photo is None:
        return Response(status_code=404)
    data = await state.settings.photo_store.get(photo.key)
    if data is None:
        return Response(status_code=404)
    return Response(
        data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


ROUTES = [
    Route("/photos", upload, methods=["POST"]),
    Route("/photos/{photo_id}", download, methods=["GET"]),
]
