"""Every error message fits the operation it comes from (issue 13 item 10).

Reporting a demand into another community's grid answered with the volunteer order's NOT_IN_SCOPE
message. The table-driven checks read every ``DomainError(ErrorCode.X, ...)`` in the code: a code
whose message names one domain is raised from that domain only, and every placeholder of a message
is filled where the code is raised (else the user reads ``{hours}``).
"""

from __future__ import annotations

import ast
import string
from collections import defaultdict
from pathlib import Path

import pytest

from services.errors import ErrorCode
from services.i18n import MESSAGES, Language
from tests.demands.helpers import REPORT, Demands
from tests.support import Api, World, gid

ROOT = Path(__file__).resolve().parent.parent

# Messages that name no operation: fit for any domain.
GENERIC = {
    ErrorCode.INVALID_ID,
    ErrorCode.NOT_FOUND,
    ErrorCode.TOO_LONG,
    ErrorCode.REQUIRED,
    ErrorCode.INVALID_VALUE,
    ErrorCode.FIRST_OUT_OF_RANGE,
    ErrorCode.INVALID_CURSOR,
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.FORBIDDEN,
    ErrorCode.INVALID_STATE,
    ErrorCode.INVALID_TIME_WINDOW,
    ErrorCode.REASON_REQUIRED,
    ErrorCode.DURATION_TOO_LONG,
    ErrorCode.NAME_TAKEN,
    ErrorCode.NO_HOME_COMMUNITY,
}
# Domain codes raised from more than one package, each with a message written for all of them.
SHARED = {
    ErrorCode.CODE_TAKEN: {"services/orgs"},
    ErrorCode.NOT_A_PARTY_MEMBER: {"services/orgs", "services/people"},  # 报到, center household
    ErrorCode.OUT_OF_STOCK: {"services/catalog", "services/redemptions"},  # goods, both
    ErrorCode.CLAIM_DEADLINE_PASSED: {"services/orders"},
    ErrorCode.UPLOAD_WRONG_TYPE: {"services/demands", "api"},  # demand photos
    ErrorCode.UPLOAD_TOO_LARGE: {"services/demands", "api"},
    ErrorCode.PHONE_TAKEN: {"services/people"},
}


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return "/".join(parts[:2]) if parts[0] == "services" and len(parts) > 2 else parts[0]


def raise_sites() -> list[tuple[ErrorCode, str, set[str], str]]:
    """(code, package, keyword names, where) for every ``DomainError(ErrorCode.X, ...)``."""
    sites = []
    for folder in ("services", "schema", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "DomainError"
                    and node.args
                    and isinstance(node.args[0], ast.Attribute)
                    and isinstance(node.args[0].value, ast.Name)
                    and node.args[0].value.id == "ErrorCode"
                ):
                    continue
                code = ErrorCode[node.args[0].attr]
                names = {k.arg for k in node.keywords if k.arg is not None}
                spread = any(k.arg is None for k in node.keywords)
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                sites.append((code, _package(path), {"**"} if spread else names, where))
    return sites


# Raise sites that cannot know a placeholder's value, with why.
UNFILLED_ALLOWED = {
    # the database constraint behind the ledger's guard; unreachable while the head lock
    # serializes writes, and the aborted transaction cannot be asked for the balance
    ("services/ledger/service.py", ErrorCode.INSUFFICIENT_POINTS),
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_scan_sees_the_raise_sites() -> None:
    sites = raise_sites()
    assert len(sites) > 200
    assert {code for code, *_ in sites} >= {ErrorCode.NOT_IN_SCOPE, ErrorCode.RATE_LIMITED}


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.name)
def test_both_languages_take_the_same_placeholders(code: ErrorCode) -> None:
    assert placeholders(MESSAGES[code][Language.ZH_CN]) == placeholders(MESSAGES[code][Language.EN])


def test_every_placeholder_is_filled_where_the_code_is_raised() -> None:
    unfilled = [
        f"{where}: {code.name} needs {sorted(needed - names)}"
        for code, _, names, where in raise_sites()
        if "**" not in names
        and (where.partition(":")[0], code) not in UNFILLED_ALLOWED
        and (needed := placeholders(MESSAGES[code][Language.EN])) - names
    ]
    assert unfilled == []


def test_a_domain_code_is_raised_from_its_own_domain_only() -> None:
    packages: dict[ErrorCode, set[str]] = defaultdict(set)
    for code, package, _, _where in raise_sites():
        packages[code].add(package)
    strays = {
        code.name: sorted(found)
        for code, found in packages.items()
        if code not in GENERIC and (not found <= SHARED[code] if code in SHARED else len(found) > 1)
    }
    assert strays == {}
    # the order's NOT_IN_SCOPE in particular comes from the orders alone
    assert packages[ErrorCode.NOT_IN_SCOPE] == {"services/orders"}


async def test_a_demand_into_another_communitys_grid_speaks_of_the_demand(
    api: Api, world: World
) -> None:
    demands = Demands(api, world)
    values = {
        "type": "REPORT",
        "categoryId": await demands.category(),
        "description": "隔壁社区路灯坏了。",
        "gridId": gid("OrgUnit", world.units["D"]),  # community C2; resident_a lives in C1
    }
    token = await demands.token("resident_a")
    messages = {}
    for language in ("zh-CN", "en"):
        reply = await api(
            REPORT.replace("errors { code field }", "errors { code field message }"),
            {"i": values},
            token=token,
            language=language,
        )
        payload = reply.data["demandReport"]
        assert payload["demand"] is None
        [error] = payload["errors"]
        assert (error["code"], error["field"]) == ("DEMAND_OUTSIDE_HOME_COMMUNITY", "gridId")
        messages[language] = error["message"]
    assert "诉求" in messages["zh-CN"] and "网格" in messages["zh-CN"]
    assert "招募令" not in messages["zh-CN"]
    assert "demand" in messages["en"] and "grid" in messages["en"]
    assert "order" not in messages["en"]


async def test_an_order_whose_deadline_follows_its_start_is_told_so(api: Api, world: World) -> None:
    """INVALID_TIME_WINDOW spoke of a deadline wherever it came from; the order has its own."""
    from tests.orders.helpers import CREATE, STARTS, order_input

    token = await api.login(world.people["community_admin"])
    late = order_input(world, claimDeadline=(STARTS.replace(hour=2)).isoformat())
    reply = await api(CREATE, {"i": late}, token=token, language="en")
    assert reply.data["orderCreate"]["errors"] == [
        {"code": "CLAIM_DEADLINE_AFTER_START", "field": "claimDeadline"}
    ]
    backwards = order_input(world, endsAt=STARTS.isoformat())
    reply = await api(CREATE, {"i": backwards}, token=token)
    assert reply.data["orderCreate"]["errors"] == [
        {"code": "INVALID_TIME_WINDOW", "field": "endsAt"}
    ]
