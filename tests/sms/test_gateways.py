"""The SMS gateways (issue 14): the providers' real SDKs against local stand-ins that check the
request signature (tests/sms/standins.py), and the development gateway's JSON-lines file."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from services.auth import codes
from services.auth.codes import CodePolicy, CodePurpose
from services.errors import DomainError, ErrorCode
from services.sms import SmsError, SmsTemplate
from services.sms.aliyun import AliyunGateway
from services.sms.dev import DevGateway, read_messages
from services.sms.tencent import TencentGateway
from tests.sms import standins
from tests.sms.standins import ALIYUN_KEY, REFUSED_PHONE, TENCENT_KEY, Received
from tests.support import World

TEMPLATES = {
    SmsTemplate.SIGN_IN_CODE: "SMS_100001",
    SmsTemplate.REGISTER_CODE: "SMS_100002",
    SmsTemplate.RESET_PASSWORD_CODE: "SMS_100003",
}
PARAMS = {"code": "042917", "minutes": "5"}


@pytest.fixture
async def aliyun() -> AsyncIterator[tuple[str, Received]]:
    received = Received()
    async with standins.serve(standins.aliyun_app(received)) as url:
        yield url, received


@pytest.fixture
async def tencent() -> AsyncIterator[tuple[str, Received]]:
    received = Received()
    async with standins.serve(standins.tencent_app(received)) as url:
        yield url, received


def aliyun_gateway(url: str, secret: str = ALIYUN_KEY[1]) -> AliyunGateway:
    return AliyunGateway(
        access_key_id=ALIYUN_KEY[0],
        access_key_secret=secret,
        sign_name="网格积分",
        templates=TEMPLATES,
        endpoint=url,
    )


def tencent_gateway(url: str, secret: str = TENCENT_KEY[1]) -> TencentGateway:
    return TencentGateway(
        secret_id=TENCENT_KEY[0],
        secret_key=secret,
        app_id="1400000001",
        sign_name="网格积分",
        templates={t: code.removeprefix("SMS_") for t, code in TEMPLATES.items()},
        endpoint=url,
    )


# --- Alibaba Cloud ------------------------------------------------------------------------------


async def test_aliyun_sends_a_signed_sendsms(aliyun: tuple[str, Received]) -> None:
    url, received = aliyun
    delivery = await aliyun_gateway(url).send("13700000001", SmsTemplate.SIGN_IN_CODE, PARAMS)
    assert delivery == "100000^0"
    assert received.refused == []
    [sent] = received.sent
    assert sent["PhoneNumbers"] == "13700000001"
    assert sent["SignName"] == "网格积分"
    assert sent["TemplateCode"] == "SMS_100001"
    assert json.loads(sent["TemplateParam"]) == PARAMS


async def test_aliyun_stand_in_refuses_a_bad_signature(aliyun: tuple[str, Received]) -> None:
    url, received = aliyun
    with pytest.raises(SmsError) as refused:
        await aliyun_gateway(url, secret="not-the-secret").send(
            "13700000001", SmsTemplate.SIGN_IN_CODE, PARAMS
        )
    assert (refused.value.provider, refused.value.code) == ("aliyun", "SignatureDoesNotMatch")
    assert received.sent == []


async def test_aliyun_refusal_is_a_typed_failure(aliyun: tuple[str, Received]) -> None:
    url, received = aliyun
    with pytest.raises(SmsError) as refused:
        await aliyun_gateway(url).send(REFUSED_PHONE, SmsTemplate.SIGN_IN_CODE, PARAMS)
    assert refused.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert received.sent == []


# --- Tencent Cloud ------------------------------------------------------------------------------


async def test_tencent_sends_a_signed_sendsms(tencent: tuple[str, Received]) -> None:
    url, received = tencent
    delivery = await tencent_gateway(url).send(
        "13700000001", SmsTemplate.RESET_PASSWORD_CODE, PARAMS
    )
    assert delivery == "2640:1"
    assert received.refused == []
    [sent] = received.sent
    assert sent["PhoneNumberSet"] == ["+8613700000001"]
    assert sent["SmsSdkAppId"] == "1400000001"
    assert sent["SignName"] == "网格积分"
    assert sent["TemplateId"] == "100003"
    assert sent["TemplateParamSet"] == ["042917", "5"]  # the template's {1} and {2}
    assert sent["region"] == "ap-guangzhou"


async def test_tencent_stand_in_refuses_a_bad_signature(tencent: tuple[str, Received]) -> None:
    url, received = tencent
    with pytest.raises(SmsError) as refused:
        await tencent_gateway(url, secret="not-the-secret").send(
            "13700000001", SmsTemplate.SIGN_IN_CODE, PARAMS
        )
    assert (refused.value.provider, refused.value.code) == (
        "tencent",
        "AuthFailure.SignatureFailure",
    )
    assert received.sent == []


async def test_tencent_refusal_is_a_typed_failure(tencent: tuple[str, Received]) -> None:
    url, _ = tencent
    with pytest.raises(SmsError) as refused:
        await tencent_gateway(url).send(REFUSED_PHONE, SmsTemplate.SIGN_IN_CODE, PARAMS)
    assert refused.value.code == "LimitExceeded.PhoneNumberDailyLimit"


async def test_a_provider_out_of_reach_is_a_typed_failure() -> None:
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    for gateway in (aliyun_gateway(closed), tencent_gateway(closed)):
        with pytest.raises(SmsError):
            await gateway.send("13700000001", SmsTemplate.SIGN_IN_CODE, PARAMS)


# --- through the code service -------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
async def test_a_code_sent_through_a_provider_signs_in(
    provider: str,
    aliyun: tuple[str, Received],
    tencent: tuple[str, Received],
    session: AsyncSession,
    redis: Redis,
    world: World,
) -> None:
    gateway = aliyun_gateway(aliyun[0]) if provider == "aliyun" else tencent_gateway(tencent[0])
    received = aliyun[1] if provider == "aliyun" else tencent[1]
    policy = CodePolicy(gateway=gateway, secret=b"s")
    phone = world.phones["resident_a"]
    await codes.request_code(
        session, redis, policy, phone=phone, purpose=CodePurpose.SIGN_IN, client="c"
    )
    await codes.drain()
    [sent] = received.sent
    code = (
        json.loads(sent["TemplateParam"])["code"]
        if provider == "aliyun"
        else sent["TemplateParamSet"][0]
    )
    with pytest.raises(DomainError) as wrong:
        await codes.check_code(
            redis, policy, purpose=CodePurpose.SIGN_IN, phone=phone, code=f"{int(code) ^ 1:06d}"
        )
    assert wrong.value.code is ErrorCode.CODE_INVALID
    await codes.check_code(redis, policy, purpose=CodePurpose.SIGN_IN, phone=phone, code=code)


# --- the development gateway and the settings ---------------------------------------------------


async def test_concurrent_dev_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "sms.jsonl"
    gateway = DevGateway(path)
    big = {"code": "123456", "minutes": "5", "pad": "网" * 30_000}  # ~90 KB a line
    ids = await asyncio.gather(
        *(gateway.send(f"137{n:08d}", SmsTemplate.SIGN_IN_CODE, big) for n in range(40))
    )
    # and a second process appending to the same file at the same time
    writer = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from services.sms import SmsTemplate\n"
        "from services.sms.dev import DevGateway\n"
        "gateway = DevGateway(Path(sys.argv[1]))\n"
        "params = {'code': '654321', 'minutes': '5', 'pad': 'x' * 90000}\n"
        "async def main():\n"
        "    await asyncio.gather(*(gateway.send('13900000000', SmsTemplate.SIGN_IN_CODE,"
        " params) for _ in range(40)))\n"
        "asyncio.run(main())\n"
    )
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", writer, str(path), cwd=Path(__file__).parents[2]
    )
    ids += await asyncio.gather(
        *(gateway.send(f"138{n:08d}", SmsTemplate.SIGN_IN_CODE, big) for n in range(40))
    )
    assert await other.wait() == 0
    messages = read_messages(path)  # every line parses
    assert len(messages) == 120
    assert {m["id"] for m in messages} >= set(ids)
    assert all(m["params"]["code"] in m["text"] for m in messages)


def test_settings_choose_the_gateway(tmp_path: Path) -> None:
    assert isinstance(Settings(data_dir=tmp_path).sms(), DevGateway)
    assert Settings(data_dir=tmp_path).sms_outbox_path == tmp_path / "outbox" / "sms.jsonl"
    keys = {
        "sms_access_key_id": "id",
        "sms_access_key_secret": "secret",
        "sms_template_sign_in": "SMS_1",
        "sms_template_register": "SMS_2",
        "sms_template_reset_password": "SMS_3",
        "sms_template_registration_invite": "SMS_4",
        "sms_template_registration_approved": "SMS_5",
        "sms_template_registration_rejected": "SMS_6",
    }
    aliyun = Settings(sms_gateway="aliyun", sms_endpoint="http://127.0.0.1:1", **keys).sms()
    assert isinstance(aliyun, AliyunGateway)
    assert aliyun.endpoint == "http://127.0.0.1:1"
    assert aliyun.templates[SmsTemplate.REGISTER_CODE] == "SMS_2"
    assert aliyun.templates[SmsTemplate.REGISTRATION_REJECTED] == "SMS_6"
    tencent = Settings(sms_gateway="tencent", sms_app_id="1400", **keys).sms()
    assert isinstance(tencent, TencentGateway)
    assert tencent.endpoint == "sms.tencentcloudapi.com"
    with pytest.raises(ValidationError, match="GRIDPOINTS_SMS_APP_ID"):
        Settings(sms_gateway="tencent", **keys)
    with pytest.raises(ValidationError, match="GRIDPOINTS_SMS_ACCESS_KEY_SECRET"):
        Settings(sms_gateway="aliyun", sms_access_key_id="id")


def test_the_code_secret_is_made_once_per_data_dir(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).code_secret_bytes()
    assert len(first) == 64
    assert Settings(data_dir=tmp_path).code_secret_bytes() == first
    assert (tmp_path / "code-secret").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path, code_secret="set").code_secret_bytes() == b"set"
