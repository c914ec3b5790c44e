"""The inbox over GraphQL: what each flow writes, paging, bad input, preferences, and what staff
may see of deliveries (and who may not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services import clock
from services.notices import inbox, jobs
from services.notices.inbox import Entry
from services.notices.kinds import Kind
from tests.demands.helpers import ACCEPT, Demands
from tests.notices.support import runtime
from tests.support import Api, World, gid

INBOX = """query($f: Int, $a: String) { notificationsUnread
  notifications(first: $f, after: $a) { nodes { id kind title params subjectId }
  pageInfo { hasNextPage endCursor } } }"""
MARK = """mutation($i: NotificationsMarkReadInput!) {
  notificationsMarkRead(input: $i) { unread errors { code field message } } }"""
PREFS = "{ noticePreferences { quietHours optedOut { kind channel } } }"
SET = """mutation($i: NoticePreferenceSetInput!) { noticePreferenceSet(input: $i) { done } }"""
QUIET = """mutation($i: QuietHoursSetInput!) { quietHoursSet(input: $i) { done } }"""
STATS = """query($c: ID!) { deliveryStats(communityId: $c) {
  sent failed givenUp pending smsCost smsBudget smsUsedToday } }"""
HISTORY = """query($p: ID!) { personDeliveries(personId: $p) { channel status kind attempts } }"""
DAY = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


async def test_a_demand_tells_its_grid_worker_and_then_its_resident(api: Api, world: World) -> None:
    demands = Demands(api, world)
    with clock.frozen(DAY):
        demand = await demands.report()
        worker = await demands.token("worker_a")
        queued = (await api(INBOX, {"f": 5}, token=worker)).data["notifications"]["nodes"]
        assert [(n["kind"], n["subjectId"]) for n in queued] == [("demand_queued", demand["id"])]
        assert "3号楼路灯坏了" in queued[0]["title"]
        other = await demands.token("worker_b")  # another grid's worker is not told
        assert (await api(INBOX, {"f": 5}, token=other)).data["notificationsUnread"] == 0
        accepted = await demands.act("worker_a", ACCEPT, demandId=demand["id"])
        assert accepted["errors"] == []
        resident = await demands.token("resident_a")
        told = (await api(INBOX, {"f": 5}, token=resident)).data["notifications"]["nodes"]
        assert [n["title"] for n in told] == ["您的诉求有新进展：网格员已受理"]


async def test_paging_and_bad_input(api: Api, world: World, session: AsyncSession) -> None:
    person = world.people["resident_a"]
    with clock.frozen(DAY):
        for i in range(5):  # one at a time: within one call the entries' order is not kept
            await inbox.notify(
                session, Kind.ORDER_PUBLISHED, [Entry(person, f"p{i}", None, {"title": f"第{i}单"})]
            )
        await session.commit()
    token = await api.sign_in(world.phones["resident_a"])
    first = (await api(INBOX, {"f": 3}, token=token)).data["notifications"]
    assert [n["title"] for n in first["nodes"]] == [f"新的招募令：第{i}单" for i in (4, 3, 2)]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api(INBOX, {"f": 3, "a": first["pageInfo"]["endCursor"]}, token=token)).data
    assert [n["title"] for n in rest["notifications"]["nodes"]] == [
        "新的招募令：第1单",
        "新的招募令：第0单",
    ]
    english = await api(INBOX, {"f": 1}, token=token, language="en")
    assert english.data["notifications"]["nodes"][0]["title"] == "New volunteer order: 第4单"
    forged = await api(INBOX, {"f": 3, "a": "not-a-cursor"}, token=token)
    assert forged.errors and forged.errors[0]["extensions"]["code"] == "INVALID_CURSOR"
    too_many = await api(MARK, {"i": {"ids": [gid("Notification", person)] * 101}}, token=token)
    assert too_many.data["notificationsMarkRead"]["errors"][0]["code"] == "TOO_MANY_ITEMS"
    wrong_type = await api(MARK, {"i": {"ids": [gid("Person", person)]}}, token=token)
    assert wrong_type.data["notificationsMarkRead"]["errors"][0]["code"] == "INVALID_ID"
    assert (await api(INBOX, {"f": 1}, token=token)).data["notificationsUnread"] == 5
    anonymous = await api(INBOX, {"f": 1})
    assert anonymous.errors and anonymous.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_preferences_round_trip(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    assert (await api(PREFS, token=token)).data["noticePreferences"] == {
        "quietHours": True,
        "optedOut": [],
    }
    for enabled in (False, False):  # twice: still one opt-out
        await api(
            SET,
            {"i": {"kind": "REMINDER_ORDER_TOMORROW", "channel": "SMS", "enabled": enabled}},
            token=token,
        )
    await api(QUIET, {"i": {"on": False}}, token=token)
    assert (await api(PREFS, token=token)).data["noticePreferences"] == {
        "quietHours": False,
        "optedOut": [{"kind": "REMINDER_ORDER_TOMORROW", "channel": "SMS"}],
    }
    await api(
        SET,
        {"i": {"kind": "REMINDER_ORDER_TOMORROW", "channel": "SMS", "enabled": True}},
        token=token,
    )
    assert (await api(PREFS, token=token)).data["noticePreferences"]["optedOut"] == []


async def test_delivery_statistics_and_history_are_for_staff(
    api: Api, world: World, session: AsyncSession
) -> None:
    with clock.frozen(DAY):
        await inbox.notify(
            session,
            Kind.GRANT_POSTED,
            [Entry(world.people["resident_a"], "g", None, {"title": "清洁", "points": 3})],
        )
        await session.commit()
    c1 = gid("OrgUnit", world.units["C1"])
    admin = await api.sign_in(world.phones["community_admin"])
    stats = (await api(STATS, {"c": c1}, token=admin)).data["deliveryStats"]
    assert stats == {
        "sent": 0,
        "failed": 0,
        "givenUp": 0,
        "pending": 1,
        "smsCost": 0,
        "smsBudget": 200,
        "smsUsedToday": 0,
    }
    for outsider in ("community_admin2", "resident_a", "worker_a"):
        token = await api.sign_in(world.phones[outsider])
        denied = await api(STATS, {"c": c1}, token=token)
        assert denied.errors and denied.errors[0]["extensions"]["code"] == "FORBIDDEN", outsider
    resident = gid("Person", world.people["resident_a"])
    worker = await api.sign_in(world.phones["worker_a"])
    history = (await api(HISTORY, {"p": resident}, token=worker)).data["personDeliveries"]
    assert history == [
        {"channel": "SMS", "status": "PENDING", "kind": "grant_posted", "attempts": 0}
    ]
    stranger = await api.sign_in(world.phones["worker_d"])  # another community's worker
    hidden = await api(HISTORY, {"p": resident}, token=stranger)
    assert hidden.errors and hidden.errors[0]["extensions"]["code"] == "NOT_FOUND"
    neighbour = await api.sign_in(world.phones["resident_a2"])
    assert (await api(HISTORY, {"p": resident}, token=neighbour)).errors


async def test_a_demand_about_to_miss_its_service_level_warns_before_the_deadline(
    api: Api, world: World, state: AppState
) -> None:
    """Reported at T, nobody on site: 5 minutes before the 10-minute clock runs out the grid's
    worker is warned (urgent: SMS at night too), once; after the deadline it is a breach, not a
    warning."""
    demands = Demands(api, world)
    rt = runtime(state)
    with clock.frozen(DAY) as move:
        demand = await demands.report()
        worker = await demands.token("worker_a")
        move(DAY + timedelta(minutes=4))
        assert await jobs.remind_once(rt) == 0  # 6 minutes left: not yet
        move(DAY + timedelta(minutes=6))
        assert await jobs.remind_once(rt) == 1
        assert await jobs.remind_once(rt) == 0  # once per clock
        nodes = (await api(INBOX, {"f": 5}, token=worker)).data["notifications"]["nodes"]
        assert nodes[0]["kind"] == "sla_at_risk" and nodes[0]["subjectId"] == demand["id"]
        assert "06-08 10:10 到期" in nodes[0]["title"]  # reported 10:00 in Shanghai
