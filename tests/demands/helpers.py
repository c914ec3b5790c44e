"""Demand fixtures: a fixed moment, GraphQL documents and small steps used by every scenario."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image

from tests.support import Api, World, gid

# Monday 8 June 2026, 09:00 in Shanghai.
T0 = datetime(2026, 6, 8, 1, 0, tzinfo=UTC)

FIELDS = """id status level reopened outcome satisfaction respondDueAt resolveDueAt
  resolvedLevel closedAt ownerName reportedOnBehalf
  breaches { level stage dueAt recordedAt lateByMinutes unit { name } }
  timeline { kind level actorName note unit { name } photos { id url } }
  assignments { role acceptedAt reportedInAt repliedAt reply department { name } }"""
CATEGORIES = """query($c: ID!) { demandCategories(communityId: $c) { id name } }"""
REPORT = (
    "mutation($i: DemandReportInput!) { demandReport(input: $i) { demand { "
    + FIELDS
    + " } errors { code field } } }"
)
NODE = "query($id: ID!) { node(id: $id) { ... on Demand { " + FIELDS + " } } }"


def step(name: str, input_type: str) -> str:
    head = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ demand {{ "
    return head + FIELDS + " } errors { code field } } }"


ACCEPT = step("demandAccept", "DemandInput")
SOLVE = step("demandSolve", "DemandNoteInput")
ESCALATE = step("demandEscalate", "DemandNoteInput")
RETURN = step("demandReturn", "DemandReasonInput")
ASSIGN = step("demandAssignDepartments", "DemandAssignInput")
DEPT_ACCEPT = step("demandDepartmentAccept", "DemandInput")
DEPT_REPORT_IN = step("demandDepartmentReportIn", "DemandNoteInput")
DEPT_REPLY = step("demandDepartmentReply", "DemandReplyInput")
CONFIRM = step("demandConfirm", "DemandConfirmInput")


def image(kind: str = "PNG", size: tuple[int, int] = (8, 6), **save: Any) -> bytes:
    """A real, small image (the server decodes every upload); ``save`` goes to Pillow's save."""
    picture = Image.new("RGB", size, (200, 22, 29))
    picture.putpixel((0, 0), (0, 90, 200))
    out = io.BytesIO()
    picture.save(out, kind, **save)
    return out.getvalue()


PNG = image("PNG")
JPEG = image("JPEG")
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the signature, then nothing that decodes


class Demands:
    """Signed-in people of the world, acting on demands through GraphQL."""

    def __init__(self, api: Api, world: World) -> None:
        self.api = api
        self.world = world
        self.tokens: dict[str, str] = {}

    async def token(self, who: str) -> str:
        if who not in self.tokens:
            self.tokens[who] = await self.api.login(self.world.people[who])
        return self.tokens[who]

    async def category(self, community: str = "C1") -> str:
        reply = await self.api(
            CATEGORIES,
            {"c": gid("OrgUnit", self.world.units[community])},
            token=await self.token("resident_a"),
        )
        categories = reply.data["demandCategories"]
        names = {c["name"]: c["id"] for c in categories}
        assert set(names) == {"公共设施", "环境卫生", "邻里纠纷", "物业管理", "安全隐患"}
        return str(names["公共设施"])

    async def report(self, who: str = "resident_a", **extra: Any) -> dict[str, Any]:
        values = {
            "type": "REPORT",
            "categoryId": await self.category(),
            "description": "3号楼路灯坏了，晚上很黑。",
            "address": "3号楼东侧",
            **extra,
        }
        reply = await self.api(REPORT, {"i": values}, token=await self.token(who))
        payload = reply.data["demandReport"]
        assert payload["errors"] == [], payload
        demand = payload["demand"]
        assert isinstance(demand, dict)
        return demand

    async def act(self, who: str, document: str, **values: Any) -> dict[str, Any]:
        """Run a step; its payload (``demand`` and ``errors``)."""
        reply = await self.api(document, {"i": values}, token=await self.token(who))
        payload = next(iter(reply.data.values()))
        assert isinstance(payload, dict)
        return payload

    async def ok(self, who: str, document: str, **values: Any) -> dict[str, Any]:
        payload = await self.act(who, document, **values)
        assert payload["errors"] == [], payload
        demand = payload["demand"]
        assert isinstance(demand, dict)
        return demand

    async def read(self, who: str, demand_id: str) -> dict[str, Any] | None:
        reply = await self.api(NODE, {"id": demand_id}, token=await self.token(who))
        node = reply.data["node"]
        return node or None

    async def upload(
        self, who: str, data: bytes, *, language: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        status, body, _ = await self.upload_reply(who, data, language=language)
        return status, body

    async def upload_reply(
        self, who: str, data: bytes, *, language: str | None = None
    ) -> tuple[int, dict[str, Any], httpx.Headers]:
        headers = {
            "Authorization": f"Bearer {await self.token(who)}",
            "Content-Type": "application/octet-stream",
        }
        if language:
            headers["Accept-Language"] = language
        reply = await self.api.client.post("/photos", content=data, headers=headers)
        return reply.status_code, reply.json(), reply.headers

    async def photo(self, who: str, photo_id: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        return await self.api.client.get(f"/photos/{photo_id}", headers=headers)


def kinds(demand: dict[str, Any]) -> list[str]:
    return [event["kind"] for event in demand["timeline"]]
