"""Helpers for the registration tests: the operations, codes from the dev gateway, a form."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from api.settings import Settings
from tests.auth.codes_support import Outbox, ask
from tests.support import Api, World, gid

UNITS = "query($c: ID) { registrationUnits(communityId: $c) { id name } }"
APPLY = """
mutation($i: RegistrationApplyInput!) {
  registrationApply(input: $i) { submitted errors { code message field } }
}"""
DECIDE = """
mutation($i: RegistrationDecideInput!) {
  registrationDecide(input: $i) {
    application {
      id status reason decidedAt
      person { id name phone isPartyMember household { id address } roles { role } }
      household { id address grid { id } }
    }
    errors { code message field }
  }
}"""
QUEUE = """
query($status: RegistrationStatus, $first: Int!, $after: String) {
  registrationApplications(status: $status, first: $first, after: $after) {
    nodes {
      id name phone address relation isPartyMember partyBranch status
      community { id name } grid { id name }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
NEWCOMER = "15800000001"


class Registration:
    """A newcomer's side (codes, the form) and the staff's (queue, decide)."""

    def __init__(self, api: Api, world: World, settings: Settings, redis: Redis) -> None:
        self.api = api
        self.world = world
        self.redis = redis
        self.outbox = Outbox(settings)

    async def code(self, phone: str = NEWCOMER) -> str:
        asked = await ask(self.api, phone, "REGISTER")
        assert asked["errors"] == [], asked
        code = await self.outbox.code(phone)
        await self.redis.delete(f"gp:rl:code:minute:{phone}")  # the next may come at once
        return code

    async def told(self, phone: str = NEWCOMER) -> list[dict[str, Any]]:
        """The messages sent to ``phone`` since the last read (codes and outcomes)."""
        sent = await self.outbox.messages(phone)
        self.outbox.start = len(self.outbox._lines())
        return sent

    def form(self, phone: str = NEWCOMER, code: str = "", **changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "phone": phone,
            "code": code,
            "name": "新居民",
            "communityId": gid("OrgUnit", self.world.units["C1"]),
            "gridId": gid("OrgUnit", self.world.units["A"]),
            "address": "新村1号楼202室",
            "relation": "HEAD",
            "isPartyMember": False,
            "partyBranch": None,
        }
        return values | changes

    async def apply(
        self,
        phone: str = NEWCOMER,
        *,
        code: str | None = None,
        language: str | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        if code is None:
            code = await self.code(phone)
        reply = await self.api(APPLY, {"i": self.form(phone, code, **changes)}, language=language)
        payload = reply.data["registrationApply"]
        assert isinstance(payload, dict)
        return payload

    async def token(self, who: str) -> str:
        return await self.api.login(self.world.people[who])

    async def queue(self, who: str, status: str | None = "PENDING") -> list[dict[str, Any]]:
        reply = await self.api(QUEUE, {"status": status, "first": 50}, token=await self.token(who))
        nodes = reply.data["registrationApplications"]["nodes"]
        assert isinstance(nodes, list)
        return nodes

    async def decide(
        self, who: str, application_id: str, *, approve: bool, **changes: Any
    ) -> dict[str, Any]:
        values = {"applicationId": application_id, "approve": approve} | changes
        reply = await self.api(DECIDE, {"i": values}, token=await self.token(who))
        payload = reply.data["registrationDecide"]
        assert isinstance(payload, dict)
        return payload

    async def applied(self, phone: str = NEWCOMER, **changes: Any) -> str:
        """Apply and return the application's id as the grid worker sees it."""
        assert (await self.apply(phone, **changes))["errors"] == []
        [found] = [a for a in await self.queue("worker_a") if a["phone"] == phone]
        application_id = found["id"]
        assert isinstance(application_id, str)
        return application_id


def codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]
