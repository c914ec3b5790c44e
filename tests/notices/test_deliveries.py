"""Deliveries: retried with backoff, given up with the error recorded, once per entry and
channel; quiet hours hold what is not urgent; the SMS budget is never overspent; two worker
processes never send one reminder twice. Providers are the real SDKs against the local stand-ins
of tests/sms (request signing checked), never mocks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from services import clock
from services.notices import inbox, jobs
from services.notices.inbox import Entry
from services.notices.kinds import Kind
from services.notices.models import Delivery, DeliveryStatus, Notification, SmsBudgetUse
from services.orgs.models import CommunitySettings
from services.people.models import Person
from services.sms import SmsTemplate
from services.sms.aliyun import AliyunGateway
from tests.notices.support import make_due, run_jobs, runtime, sms_lines
from tests.orders.helpers import CLAIM, published_order
from tests.sms import standins
from tests.sms.standins import REFUSED_PHONE, Received
from tests.sms.test_gateways import ALIYUN_KEY
from tests.support import Api, World

TEMPLATES = {t: f"SMS_10000{i}" for i, t in enumerate(SmsTemplate, start=1)}
DAYTIME = datetime(2026, 6, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 6, 5, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


@pytest.fixture
async def aliyun() -> AsyncIterator[tuple[str, Received]]:
    received = Received()
    async with standins.serve(standins.aliyun_app(received)) as url:
        yield url, received


def gateway(url: str) -> AliyunGateway:
    return AliyunGateway(
        access_key_id=ALIYUN_KEY[0],
        access_key_secret=ALIYUN_KEY[1],
        sign_name="网格积分",
        templates=TEMPLATES,
        endpoint=url,
    )


async def grant_entry(session: AsyncSession, person_id: uuid.UUID, key: str = "g1") -> None:
    await inbox.notify(
        session,
        Kind.GRANT_POSTED,
        [Entry(person_id, key, None, {"title": "清洁", "points": 10})],
    )
    await session.commit()


async def delivery(session: AsyncSession) -> Delivery:
    session.expire_all()
    return (await session.scalars(select(Delivery))).one()


async def test_a_refused_sms_is_retried_with_backoff_then_given_up(
    aliyun: tuple[str, Received], state: AppState, world: World, session: AsyncSession
) -> None:
    url, received = aliyun
    resident = world.people["resident_a"]
    await session.execute(update(Person).where(Person.id == resident).values(phone=REFUSED_PHONE))
    await session.commit()
    rt = runtime(state, sms=gateway(url), attempts=3)
    with clock.frozen(DAYTIME):
        await grant_entry(session, resident)
        await run_jobs(state, rt)
        first = await delivery(session)
        assert (first.status, first.attempts) == (DeliveryStatus.FAILED, 1)
        assert first.error is not None and "isv.BUSINESS_LIMIT_CONTROL" in first.error
        # the retry waits (30 s, then 2 min): nothing runs before it is due
        waits = (
            (
                await session.execute(
                    text(
                        "SELECT extract(epoch FROM scheduled_at - now()) FROM procrastinate_jobs"
                        " WHERE status = 'todo'"
                    )
                )
            )
            .scalars()
            .all()
        )
        assert len(waits) == 1 and 20 < float(waits[0]) <= 31
        await run_jobs(state, rt)
        assert (await delivery(session)).attempts == 1
        for _ in range(2):
            assert await make_due(state) == 1
            await run_jobs(state, rt)
        last = await delivery(session)
    assert (last.status, last.attempts) == (DeliveryStatus.GIVEN_UP, 3)
    assert last.error is not None and "isv.BUSINESS_LIMIT_CONTROL" in last.error
    assert last.finished_at is not None and last.cost == 0
    assert await make_due(state) == 0  # no job left
    assert received.sent == []
    budget = await session.scalar(select(SmsBudgetUse.used))
    assert budget == 0  # refused messages cost nothing of the budget


async def test_a_provider_out_of_reach_then_back_sends_once(
    aliyun: tuple[str, Received], state: AppState, world: World, session: AsyncSession
) -> None:
    url, received = aliyun
    with clock.frozen(DAYTIME):
        await grant_entry(session, world.people["resident_a"])
        await run_jobs(state, runtime(state, sms=gateway("http://127.0.0.1:9")))
        assert (await delivery(session)).status is DeliveryStatus.FAILED
        await make_due(state)
        await run_jobs(state, runtime(state, sms=gateway(url)))
        done = await delivery(session)
        # a repeat of the job (a retry racing a sweep) finds it sent and sends nothing
        await jobs.deliver_once(runtime(state, sms=gateway(url)), done.id)
    assert (done.status, done.attempts, done.cost) == (DeliveryStatus.SENT, 2, 1)
    assert done.provider_id and done.provider_id.endswith("^0")
    assert len(received.sent) == 1
    assert received.sent[0]["TemplateCode"] == TEMPLATES[SmsTemplate.NOTICE]
    assert "积分到账：10 分" in received.sent[0]["TemplateParam"]


async def test_one_entry_and_one_delivery_per_cause(
    state: AppState, world: World, session: AsyncSession
) -> None:
    with clock.frozen(DAYTIME):
        await grant_entry(session, world.people["resident_a"])
        await grant_entry(session, world.people["resident_a"])  # the same cause again
    assert await session.scalar(select(func.count()).select_from(Notification)) == 1
    assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


async def test_quiet_hours_hold_what_is_not_urgent(
    state: AppState, world: World, session: AsyncSession
) -> None:
    phone = world.phones["resident_a"]
    outbox = state.settings.sms_outbox_path
    before = len(sms_lines(outbox, phone))
    with clock.frozen(NIGHT) as move:
        await grant_entry(session, world.people["resident_a"])
        await inbox.notify(
            session,
            Kind.REMINDER_ORDER_SOON,  # urgent: at night too
            [
                Entry(
                    world.people["resident_a"],
                    "soon",
                    None,
                    {"title": "清洁", "starts": "06-06 00:30"},
                )
            ],
        )
        await session.commit()
        await run_jobs(state)
        texts = [m["text"] for m in sms_lines(outbox, phone)[before:]]
        assert len(texts) == 1 and "2 小时内开始" in texts[0]
        # the job of the held one comes back at 07:00; at 07:00 it goes
        move(datetime(2026, 6, 5, 23, 0, tzinfo=UTC))
        await make_due(state)
        await run_jobs(state)
    texts = [m["text"] for m in sms_lines(outbox, phone)[before:]]
    assert len(texts) == 2 and "积分到账" in texts[1]


async def test_the_sms_budget_is_never_overspent(
    state: AppState, world: World, session: AsyncSession
) -> None:
    session.add(CommunitySettings(community_id=world.units["C1"], sms_daily_budget=2))
    await session.commit()
    residents = [world.people[k] for k in ("resident_a", "resident_a2", "resident_b")]
    with clock.frozen(DAYTIME):
        await inbox.notify(
            session,
            Kind.GRANT_POSTED,
            [Entry(p, "budget", None, {"title": "清洁", "points": 1}) for p in residents],
        )
        await session.commit()
        rt = runtime(state)
        ids = list((await session.scalars(select(Delivery.id))).all())
        await asyncio.gather(*(jobs.deliver_once(rt, i) for i in ids))  # at once
    session.expire_all()
    statuses = sorted(d.status.value for d in (await session.scalars(select(Delivery))).all())
    assert statuses == ["given_up", "sent", "sent"]
    spent = (
        await session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.GIVEN_UP))
    ).one()
    assert spent.error == "SMS_BUDGET_EXHAUSTED"
    assert await session.scalar(select(SmsBudgetUse.used)) == 2


async def test_two_worker_processes_never_send_one_reminder_twice(
    api: Api, state: AppState, world: World, session: AsyncSession, tmp_path: Path
) -> None:
    """Two ``gridpoints worker --until-idle`` processes at once, on the real clock: each scans
    for due reminders and runs the jobs; every claimant gets one SMS."""
    admin = await api.sign_in(world.phones["community_admin"])
    now = clock.now()
    order = await published_order(
        api,
        admin,
        world,
        startsAt=(now + timedelta(minutes=90)).isoformat(),
        endsAt=(now + timedelta(minutes=150)).isoformat(),
        claimDeadline=(now + timedelta(minutes=60)).isoformat(),
    )
    claimants = ("resident_a", "resident_a2", "resident_b")
    for key in claimants:
        token = await api.sign_in(world.phones[key])
        reply = await api(CLAIM, {"i": {"orderId": order}}, token=token)
        assert reply.data["orderClaim"]["errors"] == [], reply.body
    outbox = tmp_path / "sms.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": state.database_url,
        "REDIS_URL": state.redis_url,
        "GRIDPOINTS_DATA_DIR": str(tmp_path),
        "GRIDPOINTS_SMS_OUTBOX": str(outbox),
        "GRIDPOINTS_WORKER_INTERVAL": "0",
        "GRIDPOINTS_JSON_LOGS": "false",
    }
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.cli",
            "worker",
            "--until-idle",
            "--concurrency",
            "2",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), 120)
    for process, (out, _) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out.decode()
    sent = [m for m in sms_lines(outbox) if m["template"] == "notice"]
    assert sorted(m["phone"] for m in sent) == sorted(world.phones[k] for k in claimants)
    assert all("2 小时内开始" in m["text"] for m in sent)
    assert (
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "reminder_order_soon")
        )
        == 3
    )


async def test_a_worker_that_loses_its_database_is_replaced(
    state: AppState, world: World, session: AsyncSession
) -> None:
    """The serve process's worker outlives a database it cannot reach: the first worker fails
    (nothing listens where it connects), the next one delivers."""
    with clock.frozen(DAYTIME):
        await grant_entry(session, world.people["resident_a"])
    made: list[str] = []

    def make() -> object:
        url = "postgresql://postgres@127.0.0.1:9/none" if not made else state.database_url
        made.append(url)
        return jobs.make_app(runtime(state), url)

    async def until_sent() -> None:
        while (await delivery(session)).status is not DeliveryStatus.SENT:  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    with clock.frozen(DAYTIME):
        worker = asyncio.create_task(jobs.supervise(make, concurrency=1, pause=0.1))  # type: ignore[arg-type]
        try:
            await asyncio.wait_for(until_sent(), 60)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
    assert len(made) >= 2 and made[0].endswith(":9/none")
