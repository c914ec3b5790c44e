"""Acceptance story: a newcomer registers, the grid worker is told and approves, the newcomer
signs in by code, claims an order, is reminded the day before and 2 hours before (the clock
moved, not slept) and is told of the grant; everything stays in their inbox."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from api.state import AppState
from services import clock
from services.meetings import grants as grant_service
from services.notices import jobs
from tests.auth.codes_support import ask, sign_in
from tests.notices.support import notices_to, run_jobs, runtime
from tests.notices.test_story import ATTEND, CLOSE, CONFIRM, CONVENE, VOTE, kinds_of
from tests.orders.helpers import CLAIM, ENDS, PUBLISHED, STARTS, published_order
from tests.registration.helpers import NEWCOMER, Registration
from tests.support import Api, World, gid


async def test_a_newcomer_from_registration_to_the_grant(
    api: Api,
    world: World,
    state: AppState,
    settings: Settings,
    redis: Redis,
    session: AsyncSession,
) -> None:
    reg = Registration(api, world, settings, redis)
    rt = runtime(state)
    outbox = state.settings.sms_outbox_path
    worker = await api.sign_in(world.phones["worker_a"])
    with clock.frozen(PUBLISHED) as move:
        application = await reg.applied()
        # the reminder scan tells the grid's worker (and the community's admin) once
        assert await jobs.remind_once(rt) == 2
        assert await jobs.remind_once(rt) == 0
        assert (await kinds_of(api, worker))[0] == "registration_waiting"
        assert (await reg.decide("worker_a", application, approve=True))["errors"] == []
        assert await jobs.remind_once(rt) == 0  # decided: nobody told again

        assert (await ask(api, NEWCOMER))["errors"] == []
        signed_in = await sign_in(api, NEWCOMER, await reg.outbox.code(NEWCOMER))
        assert signed_in["errors"] == [], signed_in
        newcomer = signed_in["token"]
        assert await kinds_of(api, newcomer) == ["registration_approved"]

        admin = await api.sign_in(world.phones["community_admin"])
        order = await published_order(api, admin, world)
        claimed = await api(CLAIM, {"i": {"orderId": order}}, token=newcomer)
        claim = claimed.data["orderClaim"]["claim"]["id"]
        before = len(notices_to(outbox, NEWCOMER))
        move(STARTS - timedelta(hours=23))
        await jobs.remind_once(rt)
        move(STARTS - timedelta(hours=1, minutes=30))
        await jobs.remind_once(rt)
        await run_jobs(state, rt)
        texts = notices_to(outbox, NEWCOMER)[before:]
        assert len(texts) == 2
        assert "将于 06-06 09:00 开始" in texts[0] and "2 小时内开始" in texts[1]

        move(ENDS + timedelta(hours=1))
        confirmed = await api(
            CONFIRM,
            {
                "i": {
                    "claimId": claim,
                    "checkedInAt": STARTS.isoformat(),
                    "checkedOutAt": ENDS.isoformat(),
                    "reason": "签到表",
                }
            },
            token=admin,
        )
        assert confirmed.data["attendanceConfirm"]["errors"] == []
        meeting = (
            await api(
                CONVENE,
                {
                    "i": {
                        "communityId": gid("OrgUnit", world.units["C1"]),
                        "title": "联席会议",
                        "scheduledAt": (ENDS + timedelta(hours=1)).isoformat(),
                        "quorum": 1,
                        "memberIds": [gid("Person", world.people["member"])],
                    }
                },
                token=admin,
            )
        ).data["meetingConvene"]["meeting"]
        member = await api.sign_in(world.phones["member"])
        await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=member)
        for item in meeting["agenda"]:
            await api(VOTE, {"i": {"itemId": item["id"], "choice": "FOR"}}, token=member)
        assert (await api(CLOSE, {"i": {"meetingId": meeting["id"]}}, token=admin)).data[
            "meetingClose"
        ]["errors"] == []
        move(ENDS + timedelta(days=7))
        assert await grant_service.settle_due(session) == 1
        await session.commit()
        await run_jobs(state, rt)
    assert "积分到账：10 分" in notices_to(outbox, NEWCOMER)[-1]
    assert await kinds_of(api, newcomer) == [
        "grant_posted",
        "grant_publicized",
        "attendance_confirmed",
        "reminder_order_soon",
        "reminder_order_tomorrow",
        "claim_confirmed",
        "order_published",
        "registration_approved",
    ]
