"""The grid's staff decide an application (issue 14): approve creates the person (who then signs
in with a code), reject needs a reason; once, within their units, one winner when two decide at
once; the applicant is told by SMS either way."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.state import AppState
from schema.relay import from_global_id
from services.auth.service import load_actor
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.people import service as people_service
from services.people.models import Person
from services.registration import service as registration_service
from services.registration.models import ApplicationStatus, RegistrationApplication
from tests.auth.codes_support import ask, sign_in
from tests.registration.helpers import DECIDE, NEWCOMER, Registration, codes_of
from tests.support import gid


async def stored(session: AsyncSession) -> RegistrationApplication:
    session.expire_all()
    [application] = await session.scalars(select(RegistrationApplication))
    return application


async def people_at(session: AsyncSession, phone: str) -> list[Person]:
    session.expire_all()
    return list(await session.scalars(select(Person).where(Person.phone == phone)))


async def test_approval_registers_the_person_in_a_new_household_who_then_signs_in_by_code(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied(isPartyMember=True, partyBranch="第一党支部")
    # when the grid worker approves
    payload = await reg.decide("worker_a", application_id, approve=True)
    # then the person is registered, a resident and party member, in a new household there
    assert payload["errors"] == []
    decided = payload["application"]
    assert decided["status"] == "APPROVED"
    assert decided["decidedAt"] is not None
    person = decided["person"]
    assert (person["name"], person["phone"], person["isPartyMember"]) == ("新居民", NEWCOMER, True)
    assert sorted(r["role"] for r in person["roles"]) == ["PARTY_MEMBER", "RESIDENT"]
    assert decided["household"]["address"] == "新村1号楼202室"
    assert decided["household"]["grid"]["id"] == gid("OrgUnit", reg.world.units["A"])
    assert person["household"]["id"] == decided["household"]["id"]
    [registered] = await people_at(session, NEWCOMER)
    assert registered.password_hash is None
    # and the queue is empty again
    assert await reg.queue("worker_a") == []
    # and the applicant is told
    [told] = await reg.told()
    assert told["template"] == "registration_approved"
    assert told["params"] == {"community": "单元C1"}
    assert told["text"].startswith("【网格积分】您在单元C1的居民注册申请已通过")
    # and they sign in with a code, no password needed
    assert (await ask(reg.api, NEWCOMER))["errors"] == []
    code = await reg.outbox.code(NEWCOMER)
    signed_in = await sign_in(reg.api, NEWCOMER, code)
    assert signed_in["errors"] == []
    assert signed_in["me"] == {"phone": NEWCOMER}


async def test_approval_binds_to_an_existing_household_of_the_grid(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied(relation="CHILD")
    household = gid("Household", reg.world.households["hA1"])
    payload = await reg.decide(
        "community_admin", application_id, approve=True, householdId=household
    )
    assert payload["errors"] == []
    assert payload["application"]["household"]["id"] == household
    [person] = await people_at(session, NEWCOMER)
    assert person.household_id == reg.world.households["hA1"]


async def test_a_household_of_another_grid_is_refused_and_nothing_changes(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    elsewhere = gid("Household", reg.world.households["hB1"])
    payload = await reg.decide(
        "community_admin", application_id, approve=True, householdId=elsewhere
    )
    assert payload["application"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("REGISTRATION_HOUSEHOLD_OUTSIDE_GRID", "householdId")
    ]
    assert payload["errors"][0]["message"] == "所选住户不在申请人所在的网格。"
    assert (await stored(session)).status is ApplicationStatus.PENDING
    assert await people_at(session, NEWCOMER) == []
    assert await reg.told() == []


async def test_an_address_taken_in_another_grid_needs_a_household_chosen(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied(address="hB1号楼101室")  # grid B's household
    payload = await reg.decide("worker_a", application_id, approve=True)
    assert codes_of(payload) == ["REGISTRATION_ADDRESS_IN_OTHER_GRID"]
    assert await people_at(session, NEWCOMER) == []


async def test_rejection_needs_a_reason_and_tells_the_applicant_why(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    # without a reason: refused, nothing changes
    for reason in (None, "   "):
        refused = await reg.decide("worker_a", application_id, approve=False, reason=reason)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("REASON_REQUIRED", "reason")
        ]
    assert (await stored(session)).status is ApplicationStatus.PENDING
    # with one: rejected, nobody registered, and the applicant told why
    payload = await reg.decide(
        "worker_a", application_id, approve=False, reason="地址不在本网格范围内"
    )
    assert payload["errors"] == []
    assert payload["application"]["status"] == "REJECTED"
    assert payload["application"]["reason"] == "地址不在本网格范围内"
    assert payload["application"]["person"] is None
    assert await people_at(session, NEWCOMER) == []
    [told] = await reg.told()
    assert told["template"] == "registration_rejected"
    assert told["params"] == {"community": "单元C1", "reason": "地址不在本网格范围内"}
    assert "原因：地址不在本网格范围内" in told["text"]
    # and the rejected one is listed as such; a new application may follow
    assert [a["status"] for a in await reg.queue("worker_a", "REJECTED")] == ["REJECTED"]
    assert (await reg.apply())["submitted"] is True
    assert len(await reg.queue("worker_a")) == 1


async def test_staff_outside_the_grid_cannot_decide_it(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    for who in ("worker_b", "community_admin2", "worker_d", "resident_a", "department"):
        payload = await reg.decide(who, application_id, approve=True)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("REGISTRATION_NOT_FOUND", "applicationId")
        ], who
        assert payload["errors"][0]["message"] == "找不到该注册申请，或它不在您负责的网格。"
        node = await reg.api(
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": application_id},
            token=await reg.token(who),
        )
        assert node.data["node"] is None
    unsigned = await reg.api(DECIDE, {"i": {"applicationId": application_id, "approve": True}})
    assert codes_of(unsigned.data["registrationDecide"]) == ["UNAUTHENTICATED"]
    assert (await stored(session)).status is ApplicationStatus.PENDING
    assert await people_at(session, NEWCOMER) == []
    assert await reg.told() == []


async def test_an_application_is_decided_once(reg: Registration, session: AsyncSession) -> None:
    application_id = await reg.applied()
    assert (await reg.decide("worker_a", application_id, approve=True))["errors"] == []
    for approve, reason in ((True, None), (False, "重复")):
        again = await reg.decide("community_admin", application_id, approve=approve, reason=reason)
        assert [(e["code"], e["field"]) for e in again["errors"]] == [
            ("REGISTRATION_DECIDED", "applicationId")
        ]
        assert again["errors"][0]["message"] == "该注册申请已审核过，不能再次审核。"
    assert (await stored(session)).status is ApplicationStatus.APPROVED
    assert len(await people_at(session, NEWCOMER)) == 1
    assert [m["template"] for m in await reg.told()] == ["registration_approved"]


async def test_two_staff_deciding_at_once_one_wins(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    # the grid worker approves while the community admin rejects, at the same moment
    approve, reject = await asyncio.gather(
        reg.decide("worker_a", application_id, approve=True),
        reg.decide("community_admin", application_id, approve=False, reason="信息不实"),
    )
    outcomes = sorted([codes_of(approve), codes_of(reject)])
    assert outcomes == [[], ["REGISTRATION_DECIDED"]]
    winner = approve if approve["errors"] == [] else reject
    status = (await stored(session)).status
    assert status.value.upper() == winner["application"]["status"]
    people = await people_at(session, NEWCOMER)
    assert len(people) == (1 if status is ApplicationStatus.APPROVED else 0)
    [told] = await reg.told()
    assert told["template"] == f"registration_{status.value}"


async def test_two_approvals_at_once_make_one_person(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    answers = await asyncio.gather(
        *(reg.decide(who, application_id, approve=True) for who in ("worker_a", "community_admin"))
    )
    assert sorted(codes_of(a) for a in answers) == [[], ["REGISTRATION_DECIDED"]]
    assert len(await people_at(session, NEWCOMER)) == 1
    count = await session.scalar(
        select(func.count()).select_from(Person).where(Person.phone == NEWCOMER)
    )
    assert count == 1


async def test_a_phone_registered_by_staff_meanwhile_cannot_be_approved(
    reg: Registration, session: AsyncSession
) -> None:
    application_id = await reg.applied()
    await people_service.create_person(
        session, OPERATOR, name="已登记", phone=NEWCOMER, household_id=reg.world.households["hA2"]
    )
    await session.commit()
    payload = await reg.decide("worker_a", application_id, approve=True)
    assert codes_of(payload) == ["REGISTRATION_PHONE_REGISTERED"]
    assert (await stored(session)).status is ApplicationStatus.PENDING
    assert [p.name for p in await people_at(session, NEWCOMER)] == ["已登记"]
    rejected = await reg.decide("worker_a", application_id, approve=False, reason="已登记")
    assert rejected["errors"] == []


async def test_a_second_decision_waits_for_the_first_and_then_finds_it_decided(
    reg: Registration, state: AppState
) -> None:
    """Deterministic: the first decision holds its transaction open while the second starts."""
    application_id = await reg.applied()
    local = from_global_id(application_id)[1]
    worker = await load_actor_of(state, reg.world.people["worker_a"])
    admin = await load_actor_of(state, reg.world.people["community_admin"])
    async with state.sessions() as first, state.sessions() as second:
        decided = await registration_service.decide(
            first, worker, application_id=local, approve=True
        )
        assert decided.status is ApplicationStatus.APPROVED
        racing = asyncio.create_task(
            registration_service.decide(
                second, admin, application_id=local, approve=False, reason="同时驳回"
            )
        )
        await asyncio.sleep(0.5)
        assert not racing.done()  # it waits on the application's row
        await first.commit()
        with pytest.raises(DomainError) as refused:
            await racing
        assert refused.value.code is ErrorCode.REGISTRATION_DECIDED
        await second.rollback()
    async with state.sessions() as session:
        assert (await stored(session)).status is ApplicationStatus.APPROVED


async def load_actor_of(state: AppState, person_id: uuid.UUID) -> Actor:
    async with state.sessions() as session:
        actor = await load_actor(session, person_id)
    assert actor is not None
    return actor
