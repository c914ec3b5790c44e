"""A demand's confirmation records only what the resident chose: no default outcome or rating."""

from __future__ import annotations

from typing import Any

from services import clock
from tests.demands.helpers import ACCEPT, CONFIRM, SOLVE, T0, Demands, kinds


async def resolved(demands: Demands) -> dict[str, Any]:
    demand = await demands.report()
    await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
    solved = await demands.ok("worker_a", SOLVE, demandId=demand["id"], note="已更换灯泡")
    assert solved["status"] == "RESOLVED"
    return solved


async def test_a_confirmation_without_an_outcome_or_a_rating_is_refused(
    demands: Demands,
) -> None:
    with clock.frozen(T0):
        demand = await resolved(demands)
        token = await demands.token("resident_a")
        base = {"demandId": demand["id"]}
        # left out, or sent as null: GraphQL refuses the request before anything runs
        for values, missing in (
            ({**base, "satisfaction": 5}, "outcome"),
            ({**base, "outcome": "SOLVED"}, "satisfaction"),
            (base, "outcome"),
            ({**base, "outcome": None, "satisfaction": 5}, "outcome"),
            ({**base, "outcome": "SOLVED", "satisfaction": None}, "satisfaction"),
        ):
            reply = await demands.api(CONFIRM, {"i": values}, token=token)
            assert reply.body.get("data") is None, reply.body
            assert reply.errors and missing in reply.errors[0]["message"], reply.body
        # a choice that is no answer: typed errors on the field
        for values, field in (
            ({**base, "outcome": "SOLVED", "satisfaction": 0}, "satisfaction"),
            ({**base, "outcome": "SOLVED", "satisfaction": 6}, "satisfaction"),
            ({**base, "outcome": "NOT_RATED", "satisfaction": 5}, "outcome"),
            ({**base, "outcome": "RETURNED", "satisfaction": 5}, "outcome"),
        ):
            payload = await demands.act("resident_a", CONFIRM, **values)
            assert payload == {
                "demand": None,
                "errors": [{"code": "INVALID_VALUE", "field": field}],
            }
        # and nothing changed: still waiting for the resident's own answer
        after = await demands.read("resident_a", demand["id"])
        assert after is not None
        assert (after["status"], after["outcome"], after["satisfaction"]) == (
            "RESOLVED",
            None,
            None,
        )
        assert kinds(after) == ["REPORTED", "ACCEPTED", "SOLVED"]
        # the explicit answer is recorded as given
        closed = await demands.ok(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="PARTLY", satisfaction=3
        )
        assert (closed["status"], closed["outcome"], closed["satisfaction"]) == (
            "CLOSED",
            "PARTLY",
            3,
        )
