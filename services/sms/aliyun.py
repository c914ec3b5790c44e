"""Alibaba Cloud SMS (短信服务, Dysmsapi 2017-05-25 ``SendSms``) through its official SDK.

The SDK signs each request with the V3 scheme (``ACS3-HMAC-SHA256`` over the canonical request:
method, path, sorted query, the ``host``/``x-acs-*``/``content-type`` headers and the payload's
SHA-256). The answer is ``{"Code": "OK", "BizId": ...}`` on success; any other ``Code``
(``isv.BUSINESS_LIMIT_CONTROL``, ``isv.MOBILE_NUMBER_ILLEGAL``...) or an HTTP error is an
:class:`~services.sms.SmsError` with the provider's code; a provider out of reach is one with
the code ``NetworkError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models as sms_models  # type: ignore[import-untyped]
from alibabacloud_dysmsapi20170525.client import Client  # type: ignore[import-untyped]
from alibabacloud_tea_openapi import utils_models  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException  # type: ignore[import-untyped]
from darabonba.exceptions import UnretryableException  # type: ignore[import-untyped]

from services.sms import SmsError, SmsTemplate

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"


@dataclass(frozen=True, slots=True)
class AliyunGateway:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: Mapping[SmsTemplate, str]  # our template -> the approved TemplateCode
    endpoint: str = DEFAULT_ENDPOINT  # a host, or a URL (http://127.0.0.1:9000 for a stand-in)
    region: str = "cn-hangzhou"
    name: str = "aliyun"

    def _client(self) -> Client:
        url = urlsplit(self.endpoint if "//" in self.endpoint else f"//{self.endpoint}")
        return Client(
            utils_models.Config(
                access_key_id=self.access_key_id,
                access_key_secret=self.access_key_secret,
                endpoint=url.netloc,
                protocol=(url.scheme or "https").upper(),
                region_id=self.region,
                connect_timeout=5000,
                read_timeout=10000,
            )
        )

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        request = sms_models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=self.templates[template],
            template_param=json.dumps(dict(params), ensure_ascii=False),
        )
        try:
            response = await self._client().send_sms_async(request)
        except AlibabaCloudException as error:
            raise SmsError(self.name, str(error.code), str(error.message)) from error
        except (UnretryableException, OSError, TimeoutError) as error:  # out of reach
            raise SmsError(self.name, "NetworkError", str(error)) from error
        body = response.body
        if body is None or body.code != "OK":
            code = body.code if body is not None else "EmptyAnswer"
            raise SmsError(self.name, str(code), str(getattr(body, "message", "") or ""))
        return str(body.biz_id)
