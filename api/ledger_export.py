"""``GET /ledger/{community code}.json``: a community's whole ledger, for anyone to verify.

Public on purpose (公示: the points ledger is open to inspection): the export carries transfer
ids, amounts, causes (as fixed labels) and hashes, never a person's id or name, nor an actor,
nor a reason staff typed; accounts by pseudonyms valid in one download only (see
:mod:`services.ledger.verify`). Check it offline with ``gridpoints ledger verify --from-json FILE``.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.state import AppState
from services.ledger import verify
from services.orgs import service as org_service
from services.orgs.models import UnitKind


async def export(request: Request) -> Response:
    state: AppState = request.app.state.gridpoints
    code = request.path_params["code"]
    async with state.sessions() as session:
        community = await org_service.get_unit_by_code(session, code)
        if community is None or community.kind is not UnitKind.COMMUNITY:
            return JSONResponse({"error": "no such community"}, 404)
        data = await verify.export(session, community)
    return Response(
        orjson.dumps(data),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="ledger-{code}.json"'},
    )


ROUTES = [Route("/ledger/{code}.json", export)]
