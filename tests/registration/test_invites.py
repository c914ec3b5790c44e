"""Residents registered by staff, one by one or by import, are invited by SMS (issue 14): sent
after the commit, never for a change that rolled back, and a failed send fails nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.settings import Settings
from services.people import service as people_service
from services.people.importer import import_residents
from services.people.models import Person
from services.sms import SmsError, SmsTemplate, sending
from services.sms.dev import DevGateway, read_messages
from tests.auth.codes_support import Outbox, ask, sign_in
from tests.support import Api, World, gid

CREATE = """mutation($i: PersonCreateInput!) {
  personCreate(input: $i) { person { phone } errors { code field } } }"""
HEADER = "name,phone,grid_code,address\n"


def rows(lines: list[str]) -> list[dict[str, str | None]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(HEADER + "".join(lines))))


async def test_a_resident_registered_by_staff_is_invited_and_signs_in_by_code(
    api: Api, world: World, settings: Settings
) -> None:
    outbox = Outbox(settings)
    token = await api.login(world.people["worker_a"])
    given = {
        "name": "新居民",
        "phone": "13500000001",
        "householdId": gid("Household", world.households["hA2"]),
    }
    reply = await api(CREATE, {"i": given}, token=token)
    assert reply.data["personCreate"] == {"person": {"phone": "13500000001"}, "errors": []}
    [invite] = await outbox.messages("13500000001")
    assert invite["template"] == "registration_invite"
    assert invite["params"] == {"community": "单元C1"}
    assert (
        invite["text"]
        == "【网格积分】您已登记为单元C1居民，可在网格积分用本手机号和短信验证码登录。"
    )
    # and the invite holds: a code signs them in
    outbox.start = len(outbox._lines())
    assert (await ask(api, "13500000001"))["errors"] == []
    assert (await sign_in(api, "13500000001", await outbox.code("13500000001")))["errors"] == []


async def test_a_refused_registration_sends_no_invite(
    api: Api, world: World, settings: Settings
) -> None:
    outbox = Outbox(settings)
    token = await api.login(world.people["worker_a"])
    taken = {
        "name": "重复",
        "phone": world.phones["resident_a"],
        "householdId": gid("Household", world.households["hA2"]),
    }
    reply = await api(CREATE, {"i": taken}, token=token)
    assert reply.data["personCreate"]["errors"] == [{"code": "PHONE_TAKEN", "field": "phone"}]
    # two creations in one operation: the second fails in its savepoint, the first stays
    both = """mutation($a: PersonCreateInput!, $b: PersonCreateInput!) {
      a: personCreate(input: $a) { errors { code } }
      b: personCreate(input: $b) { errors { code } } }"""
    fresh = {
        "name": "新甲",
        "phone": "13500000002",
        "householdId": gid("Household", world.households["hA2"]),
    }
    reply = await api(both, {"a": fresh, "b": taken}, token=token)
    assert reply.data["b"]["errors"] == [{"code": "PHONE_TAKEN"}]
    sent = await outbox.messages()
    assert [m["phone"] for m in sent] == ["13500000002"]


async def test_imported_residents_are_invited_after_the_commit(
    session: AsyncSession, world: World, tmp_path: Path
) -> None:
    gateway = DevGateway(tmp_path / "sms.jsonl", sign_name="网格积分")
    lines = ["王新,13512340001,T-A,新村1栋101\n", "张新,13512340003,T-D,新村2栋202\n"]
    report = await import_residents(session, OPERATOR, rows(lines), sms=gateway)
    assert report.imported == 2
    await sending.drain()
    assert read_messages(gateway.path) == []  # nothing before the commit
    await session.commit()
    await sending.drain()
    invites = {str(m["phone"]): m["params"] for m in read_messages(gateway.path)}
    assert invites == {
        "13512340001": {"community": "单元C1"},
        "13512340003": {"community": "单元C2"},
    }


async def test_an_import_rolled_back_invites_nobody(
    session: AsyncSession, world: World, tmp_path: Path
) -> None:
    gateway = DevGateway(tmp_path / "sms.jsonl")
    report = await import_residents(
        session, OPERATOR, rows(["王新,13512340001,T-A,新村1栋101\n"]), sms=gateway
    )
    assert report.imported == 1
    await session.rollback()
    async with session.begin():  # the next transaction of the session commits something else
        await session.execute(text("SELECT 1"))
    await sending.drain()
    assert read_messages(gateway.path) == []


async def test_a_savepoint_rolled_back_drops_only_its_own_messages(
    session: AsyncSession, world: World, tmp_path: Path
) -> None:
    gateway = DevGateway(tmp_path / "sms.jsonl")
    await people_service.create_person(
        session,
        OPERATOR,
        name="留下",
        phone="13500000011",
        household_id=world.households["hA1"],
        sms=gateway,
    )
    nested = await session.begin_nested()
    await people_service.create_person(
        session,
        OPERATOR,
        name="撤回",
        phone="13500000012",
        household_id=world.households["hA1"],
        sms=gateway,
    )
    await nested.rollback()
    await session.commit()
    await sending.drain()
    assert [m["phone"] for m in read_messages(gateway.path)] == ["13500000011"]


class Refusing:
    name = "refusing"

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        raise SmsError("refusing", "isv.BUSINESS_LIMIT_CONTROL", "too many")


async def test_a_failed_invite_is_logged_and_the_resident_stays(
    session: AsyncSession, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gridpoints.sms")
    await people_service.create_person(
        session,
        OPERATOR,
        name="照登",
        phone="13500000021",
        household_id=world.households["hA1"],
        sms=Refusing(),
    )
    await session.commit()
    await sending.drain()
    assert "SMS to 135****0021 refused by refusing: isv.BUSINESS_LIMIT_CONTROL" in caplog.text
    session.expire_all()
    assert await session.scalar(select(Person.name).where(Person.phone == "13500000021")) == "照登"
