"""A newcomer applies (issue 14): the phone proved by its REGISTER code, one application per
phone, and an answer that never tells whether the phone is registered already."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.models import Person
from services.registration.models import ApplicationStatus, RegistrationApplication
from tests.registration.helpers import NEWCOMER, UNITS, Registration, codes_of
from tests.support import Api, World, gid


async def applications(session: AsyncSession) -> list[RegistrationApplication]:
    session.expire_all()
    return list(await session.scalars(select(RegistrationApplication)))


async def test_the_form_lists_communities_and_their_grids_without_sign_in(
    api: Api, world: World
) -> None:
    communities = (await api(UNITS)).data["registrationUnits"]
    assert communities == [
        {"id": gid("OrgUnit", world.units["C1"]), "name": "单元C1"},
        {"id": gid("OrgUnit", world.units["C2"]), "name": "单元C2"},
    ]
    grids = (await api(UNITS, {"c": communities[0]["id"]})).data["registrationUnits"]
    assert grids == [
        {"id": gid("OrgUnit", world.units["A"]), "name": "单元A"},
        {"id": gid("OrgUnit", world.units["B"]), "name": "单元B"},
    ]
    # a grid or a street has no grids to offer; nothing private is reachable from here
    assert (await api(UNITS, {"c": grids[0]["id"]})).data["registrationUnits"] == []
    fields = await api('{ __type(name: "RegistrationUnit") { fields { name } } }')
    assert [f["name"] for f in fields.data["__type"]["fields"]] == ["id", "name"]


async def test_an_application_with_the_code_waits_in_the_grid_workers_queue(
    reg: Registration, session: AsyncSession
) -> None:
    # when a newcomer applies with the code sent to their phone
    payload = await reg.apply(isPartyMember=True, partyBranch="第一党支部", relation="SPOUSE")
    # then it is taken
    assert payload == {"submitted": True, "errors": []}
    # and it waits for the grid's worker, as sent
    [waiting] = await reg.queue("worker_a")
    assert waiting | {"id": None} == {
        "id": None,
        "name": "新居民",
        "phone": NEWCOMER,
        "address": "新村1号楼202室",
        "relation": "SPOUSE",
        "isPartyMember": True,
        "partyBranch": "第一党支部",
        "status": "PENDING",
        "community": {"id": gid("OrgUnit", reg.world.units["C1"]), "name": "单元C1"},
        "grid": {"id": gid("OrgUnit", reg.world.units["A"]), "name": "单元A"},
    }
    # and for the community's admin; not for another grid's worker or another community
    assert [a["id"] for a in await reg.queue("community_admin")] == [waiting["id"]]
    assert await reg.queue("worker_b") == []
    assert await reg.queue("community_admin2") == []
    assert await reg.queue("resident_a") == []
    [stored] = await applications(session)
    assert stored.status is ApplicationStatus.PENDING


async def test_a_wrong_code_is_refused_and_nothing_is_stored(
    reg: Registration, session: AsyncSession
) -> None:
    right = await reg.code()
    wrong = "000000" if right != "000000" else "111111"
    payload = await reg.apply(code=wrong)
    assert payload["submitted"] is False
    assert codes_of(payload) == ["CODE_INVALID"]
    assert payload["errors"][0]["field"] == "code"
    assert payload["errors"][0]["message"] == "验证码不正确，还可再试 4 次。"
    assert await applications(session) == []
    # and the right code still works once
    assert (await reg.apply(code=right))["submitted"] is True
    again = await reg.apply(code=right)
    assert codes_of(again) == ["CODE_EXPIRED"]
    assert len(await applications(session)) == 1


async def test_applying_again_while_it_waits_replaces_the_application(
    reg: Registration, session: AsyncSession
) -> None:
    assert (await reg.apply(name="初次填写"))["errors"] == []
    assert (await reg.apply(name="改正姓名", address="新村2号楼101室"))["errors"] == []
    [only] = await applications(session)
    assert (only.name, only.address) == ("改正姓名", "新村2号楼101室")
    [waiting] = await reg.queue("worker_a")
    assert waiting["name"] == "改正姓名"


async def test_a_grid_of_another_community_is_refused_before_the_code_is_used(
    reg: Registration, session: AsyncSession
) -> None:
    code = await reg.code()
    payload = await reg.apply(code=code, gridId=gid("OrgUnit", reg.world.units["D"]))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("REGISTRATION_GRID_OUTSIDE_COMMUNITY", "gridId")
    ]
    missing = await reg.apply(code=code, name="  ")
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("REQUIRED", "name")]
    assert await applications(session) == []
    assert (await reg.apply(code=code))["submitted"] is True  # the code was kept for this


async def test_a_registered_phone_gets_the_same_answer_and_no_second_person(
    reg: Registration, session: AsyncSession
) -> None:
    registered = reg.world.phones["resident_a"]
    people = await session.scalar(select(func.count()).select_from(Person))
    # a wrong code reads the same for a registered phone as for a new one, in both languages
    for language in ("zh-CN", "en"):
        answers = []
        for phone in (registered, NEWCOMER):
            await reg.code(phone)
            answers.append(await reg.apply(phone, code="999999", language=language))
        assert answers[0] == answers[1]
    # and the right code: the very same answer
    first = await reg.apply(registered)
    # the phone's owner (only they read it) is told to sign in with a code
    [told] = await reg.outbox.messages(registered)
    assert told["template"] == "registration_invite"
    assert told["params"] == {"community": "单元C1"}
    assert "验证码登录" in told["text"]
    second = await reg.apply(NEWCOMER)
    assert first == second == {"submitted": True, "errors": []}
    # but only the newcomer's application is stored; no second person for the registered phone
    assert [a.phone for a in await applications(session)] == [NEWCOMER]
    assert await session.scalar(select(func.count()).select_from(Person)) == people
    assert await reg.outbox.messages(NEWCOMER) == []  # the code was read; nothing else went out
