"""Tencent Cloud SMS (短信, API 2021-01-11 ``SendSms``) through its official SDK (the async client).

The SDK signs each request with ``TC3-HMAC-SHA256`` (a key derived from the SecretKey, the UTC
date and the service ``sms``, over the canonical request of the ``content-type`` and ``host``
headers and the JSON body). One message per call: its ``SendStatusSet`` entry's ``Code`` is
``Ok`` (the ``SerialNo`` is the delivery id) or the reason it was refused; an ``Error`` answer
(``AuthFailure.SignatureFailure``, ``LimitExceeded...``) is raised by the SDK. Either becomes an
:class:`~services.sms.SmsError` with the provider's code (``NetworkError`` when out of reach).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from tencentcloud.common import credential  # type: ignore[import-untyped]
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # type: ignore[import-untyped]
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile  # type: ignore[import-untyped]
from tencentcloud.common.profile.http_profile import HttpProfile  # type: ignore[import-untyped]
from tencentcloud.sms.v20210111 import models  # type: ignore[import-untyped]
from tencentcloud.sms.v20210111.sms_client_async import SmsClient  # type: ignore[import-untyped]

from services.sms import SmsError, SmsTemplate

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"


@dataclass(frozen=True, slots=True)
class TencentGateway:
    secret_id: str
    secret_key: str
    app_id: str  # SmsSdkAppId
    sign_name: str
    templates: Mapping[SmsTemplate, str]  # our template -> the approved TemplateId
    endpoint: str = DEFAULT_ENDPOINT  # a host, or a URL (http://127.0.0.1:9000 for a stand-in)
    region: str = "ap-guangzhou"
    name: str = "tencent"

    def _client(self) -> SmsClient:
        url = urlsplit(self.endpoint if "//" in self.endpoint else f"//{self.endpoint}")
        http = HttpProfile(protocol=url.scheme or "https", endpoint=url.netloc, reqTimeout=10)
        profile = ClientProfile(httpProfile=http)
        profile.disable_region_breaker = True  # one endpoint, named in settings
        return SmsClient(
            credential.Credential(self.secret_id, self.secret_key), self.region, profile
        )

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = self.templates[template]
        request.TemplateParamSet = list(params.values())  # the template's {1}, {2}... in order
        try:
            async with self._client() as client:
                response = await client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsError(self.name, str(error.code), str(error.message)) from error
        except (httpx.TransportError, OSError, TimeoutError) as error:  # out of reach
            raise SmsError(self.name, "NetworkError", str(error)) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError(self.name, "EmptyAnswer")
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsError(self.name, str(status.Code), str(status.Message or ""))
        return str(status.SerialNo)
