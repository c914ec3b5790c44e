"""Settings from the environment (and a ``.env`` file), read once at start."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.client_address import TrustedProxies, parse_trusted_proxies
from services.auth import passwords
from services.auth.codes import CodePolicy
from services.demands.photos import UploadPolicy
from services.demands.quota import PhotoQuota
from services.sms import SmsGateway, SmsTemplate
from services.sms.dev import DevGateway
from services.storage import LocalStore, S3Store, Store
from services.wechat import WechatApp, WechatPolicy


class Settings(BaseSettings):
    """Every setting has a default that serves the zero-setup demo.

    ``DATABASE_URL`` and ``REDIS_URL`` are read without prefix (the usual names); the rest take the
    ``GRIDPOINTS_`` prefix, e.g. ``GRIDPOINTS_SESSION_TTL=3600``.
    """

    model_config = SettingsConfigDict(
        env_prefix="GRIDPOINTS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    data_dir: Path = Path(".gridpoints")
    web_dir: Path | None = None  # the built web app; default: web/dist, else web/public

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # API processes behind the one port (uvicorn's); about one per core
    log_level: str = "INFO"
    json_logs: bool = True

    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = 10_000  # objects an answer may hold, priced before execution (schema/cost.py)
    # bounds on a document checked before validation (schema/bounds.py)
    max_directives: int = 50
    max_fragments: int = 50
    max_field_repeats: int = 10
    max_variables: int = 50
    max_arguments: int = 20
    db_pool_size: int = 10
    # Redis connections per process; past them a command waits for one (up to 10 s) instead
    # of opening more: a burst of 2,000 sockets signing in once opened ~100 (bench/subs)
    redis_max_connections: int = 50
    response_cache: bool = True  # answer the catalog's goods list from memory (schema/cache.py)
    photo_dir: Path | None = None  # where demand photos are stored; default: <data_dir>/photos
    photo_max_bytes: int = 5 * 1024 * 1024
    # per person and Asia/Shanghai day: photos and bytes received (README, security)
    photo_daily_count: int = Field(default=50, ge=1)
    photo_daily_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    photo_burst_per_minute: int = Field(default=20, ge=1)  # uploads per person per minute
    photo_max_pixels: int = Field(default=40_000_000, ge=1)  # width x height of an upload
    photo_decode_concurrency: int = Field(default=2, ge=1)  # images decoded at once per process
    # an S3-compatible bucket for photos instead of the folder (all four, or none)
    photo_s3_endpoint: str | None = None
    photo_s3_bucket: str | None = None
    photo_s3_access_key: str | None = None
    photo_s3_secret_key: str | None = None
    photo_s3_region: str = "us-east-1"
    worker_interval: float = 30.0  # seconds between worker ticks; 0 turns the worker off
    # the job queue (services/notices/jobs.py): jobs at once in each serve process (0: none;
    # run `gridpoints worker` instead), and a failed delivery's attempts and first retry delay
    jobs_concurrency: int = Field(default=4, ge=0, le=100)
    notice_max_attempts: int = Field(default=5, ge=1, le=20)
    notice_retry_base: float = Field(default=30.0, ge=0, le=3600)

    # live sockets (graphql-transport-ws): see README "Security"
    ws_max_sockets: int = 10_000  # per API process, signed in or not yet
    ws_max_sockets_per_person: int = 10  # across every replica (tabs and devices)
    ws_max_subscriptions: int = 20  # per socket (the web app opens 6)
    ws_init_timeout: float = 10.0  # seconds a socket may take to send connection_init
    ws_sweep_interval: float = 30.0  # seconds between checks that each socket's session lives
    ws_event_work: int = 4  # subscriptions' database work at once per process (pool: db_pool_size)

    session_ttl: int = 7 * 24 * 3600
    signin_attempts_per_phone: int = 10
    signin_attempts_per_client: int = 50
    signin_window: int = 15 * 60
    # issue 13 item 3: the proxies whose X-Forwarded-For names the client (IPs/CIDRs, comma-
    # separated); empty trusts none, so the TCP peer is the client (api/client_address.py)
    trusted_proxies: str = ""
    password_time_cost: int = 3
    password_memory_kib: int = 65536

    # one-time SMS codes (services/auth/codes.py); the secret their HMAC is keyed with: set it
    # (the same on every replica) in production; unset, <data_dir>/code-secret is made once
    code_secret: str | None = Field(default=None, repr=False)
    code_ttl: int = Field(default=300, ge=30)
    code_tries: int = Field(default=5, ge=1)
    code_interval: int = Field(default=60, ge=1)  # seconds between requests for one phone
    code_daily_per_phone: int = Field(default=10, ge=1)
    code_daily_per_client: int = Field(default=50, ge=1)
    # text messages (services/sms): dev appends JSON lines to sms_outbox (<data_dir>/outbox/
    # sms.jsonl); aliyun and tencent send through the providers' SDKs with these credentials
    sms_gateway: Literal["dev", "aliyun", "tencent"] = "dev"
    sms_outbox: Path | None = None
    sms_sign_name: str = "网格积分"
    sms_access_key_id: str | None = None  # Alibaba AccessKey ID / Tencent SecretId
    sms_access_key_secret: str | None = Field(default=None, repr=False)  # / Tencent SecretKey
    sms_app_id: str | None = None  # Tencent SmsSdkAppId
    sms_endpoint: str | None = None  # default: the provider's public endpoint
    sms_region: str | None = None  # default: cn-hangzhou / ap-guangzhou
    sms_template_sign_in: str | None = None  # provider template codes (TemplateCode/TemplateId)
    sms_template_register: str | None = None
    sms_template_reset_password: str | None = None
    sms_template_notice: str | None = None  # inbox entries by SMS (`${title}` / `{1}`)
    sms_template_bind_wechat: str | None = None  # unset: the sign-in template

    # WeChat sign-in (services/wechat, services/auth/wechat.py): the official account's web
    # pages and the mini program, each configured by its app id and secret (both, or neither)
    wechat_oa_app_id: str | None = None
    wechat_oa_app_secret: str | None = Field(default=None, repr=False)
    wechat_mp_app_id: str | None = None
    wechat_mp_app_secret: str | None = Field(default=None, repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com"  # http://host:port for a stand-in
    sms_template_registration_invite: str | None = None  # ${community} / {1}
    sms_template_registration_approved: str | None = None  # ${community} / {1}
    sms_template_registration_rejected: str | None = None  # ${community} ${reason} / {1} {2}

    demo_password: str = "gridpoints2026"  # noqa: S105 (the documented demo password)

    @property
    def trusted_proxy_networks(self) -> TrustedProxies:
        return parse_trusted_proxies(self.trusted_proxies)

    @model_validator(mode="after")
    def _proxies_readable(self) -> Settings:
        try:
            parse_trusted_proxies(self.trusted_proxies)
        except ValueError as error:
            raise ValueError(f"GRIDPOINTS_TRUSTED_PROXIES: {error}") from error
        return self

    @property
    def sms_outbox_path(self) -> Path:
        return self.sms_outbox or self.data_dir / "outbox" / "sms.jsonl"

    @model_validator(mode="after")
    def _sms_complete(self) -> Settings:
        if self.sms_gateway == "dev":
            return self
        needed = {
            "GRIDPOINTS_SMS_ACCESS_KEY_ID": self.sms_access_key_id,
            "GRIDPOINTS_SMS_ACCESS_KEY_SECRET": self.sms_access_key_secret,
            "GRIDPOINTS_SMS_TEMPLATE_SIGN_IN": self.sms_template_sign_in,
            "GRIDPOINTS_SMS_TEMPLATE_REGISTER": self.sms_template_register,
            "GRIDPOINTS_SMS_TEMPLATE_RESET_PASSWORD": self.sms_template_reset_password,
            "GRIDPOINTS_SMS_TEMPLATE_REGISTRATION_INVITE": self.sms_template_registration_invite,
            "GRIDPOINTS_SMS_TEMPLATE_REGISTRATION_APPROVED": (
                self.sms_template_registration_approved
            ),
            "GRIDPOINTS_SMS_TEMPLATE_REGISTRATION_REJECTED": (
                self.sms_template_registration_rejected
            ),
        }
        if self.sms_gateway == "tencent":
            needed["GRIDPOINTS_SMS_APP_ID"] = self.sms_app_id
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ValueError(
                f"GRIDPOINTS_SMS_GATEWAY={self.sms_gateway} needs {', '.join(missing)}"
            )
        return self

    def sms(self) -> SmsGateway:
        """The gateway the settings name."""
        if self.sms_gateway == "dev":
            return DevGateway(self.sms_outbox_path, sign_name=self.sms_sign_name)
        assert self.sms_access_key_id
        assert self.sms_access_key_secret
        templates = {
            SmsTemplate.SIGN_IN_CODE: self.sms_template_sign_in or "",
            SmsTemplate.REGISTER_CODE: self.sms_template_register or "",
            SmsTemplate.RESET_PASSWORD_CODE: self.sms_template_reset_password or "",
            SmsTemplate.NOTICE: self.sms_template_notice or "",
            SmsTemplate.BIND_WECHAT_CODE: self.sms_template_bind_wechat
            or self.sms_template_sign_in
            or "",
            SmsTemplate.REGISTRATION_INVITE: self.sms_template_registration_invite or "",
            SmsTemplate.REGISTRATION_APPROVED: self.sms_template_registration_approved or "",
            SmsTemplate.REGISTRATION_REJECTED: self.sms_template_registration_rejected or "",
        }
        if self.sms_gateway == "aliyun":
            from services.sms.aliyun import DEFAULT_ENDPOINT, AliyunGateway

            return AliyunGateway(
                access_key_id=self.sms_access_key_id,
                access_key_secret=self.sms_access_key_secret,
                sign_name=self.sms_sign_name,
                templates=templates,
                endpoint=self.sms_endpoint or DEFAULT_ENDPOINT,
                region=self.sms_region or "cn-hangzhou",
            )
        from services.sms.tencent import DEFAULT_ENDPOINT as TENCENT
        from services.sms.tencent import TencentGateway

        assert self.sms_app_id
        return TencentGateway(
            secret_id=self.sms_access_key_id,
            secret_key=self.sms_access_key_secret,
            app_id=self.sms_app_id,
            sign_name=self.sms_sign_name,
            templates=templates,
            endpoint=self.sms_endpoint or TENCENT,
            region=self.sms_region or "ap-guangzhou",
        )

    def code_secret_bytes(self) -> bytes:
        """``GRIDPOINTS_CODE_SECRET``, else the one in ``<data_dir>/code-secret`` (made once)."""
        if self.code_secret:
            return self.code_secret.encode()
        path = self.data_dir / "code-secret"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".code-secret-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        try:  # a link is whole or absent: of two processes starting at once, the first one wins
            os.link(fresh, path)
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
        return path.read_bytes().strip()

    def code_policy(self) -> CodePolicy:
        return CodePolicy(
            gateway=self.sms(),
            secret=self.code_secret_bytes(),
            ttl=self.code_ttl,
            tries=self.code_tries,
            interval=self.code_interval,
            daily_per_phone=self.code_daily_per_phone,
            daily_per_client=self.code_daily_per_client,
        )

    @model_validator(mode="after")
    def _wechat_pairs(self) -> Settings:
        for name, app_id, secret in (
            ("OA", self.wechat_oa_app_id, self.wechat_oa_app_secret),
            ("MP", self.wechat_mp_app_id, self.wechat_mp_app_secret),
        ):
            if bool(app_id) != bool(secret):
                raise ValueError(
                    f"set GRIDPOINTS_WECHAT_{name}_APP_ID and _{name}_APP_SECRET together"
                )
        return self

    def wechat_policy(self) -> WechatPolicy:
        """WeChat sign-in as configured: a source is on when its app id and secret are set."""

        def app(app_id: str | None, secret: str | None) -> WechatApp | None:
            return WechatApp(app_id, secret) if app_id and secret else None

        official_account = app(self.wechat_oa_app_id, self.wechat_oa_app_secret)
        mini_program = app(self.wechat_mp_app_id, self.wechat_mp_app_secret)
        if official_account is None and mini_program is None:
            return WechatPolicy()
        from services.wechat.sdk import WechatpyGateway

        return WechatPolicy(
            gateway=WechatpyGateway(api_base=self.wechat_api_base),
            official_account=official_account,
            mini_program=mini_program,
        )

    @property
    def photos_path(self) -> Path:
        return self.photo_dir or self.data_dir / "photos"

    @model_validator(mode="after")
    def _bucket_complete(self) -> Settings:
        bucket = (
            self.photo_s3_endpoint,
            self.photo_s3_bucket,
            self.photo_s3_access_key,
            self.photo_s3_secret_key,
        )
        if any(bucket) and not all(bucket):
            raise ValueError(
                "set GRIDPOINTS_PHOTO_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY together"
            )
        return self

    @property
    def photo_store(self) -> Store:
        """The photo bucket when one is configured, else the photo folder."""
        if self.photo_s3_endpoint:
            assert self.photo_s3_bucket
            assert self.photo_s3_access_key
            assert self.photo_s3_secret_key
            return S3Store(
                endpoint=self.photo_s3_endpoint,
                bucket=self.photo_s3_bucket,
                access_key=self.photo_s3_access_key,
                secret_key=self.photo_s3_secret_key,
                region=self.photo_s3_region,
            )
        return LocalStore(self.photos_path)

    @property
    def photo_policy(self) -> UploadPolicy:
        return UploadPolicy(
            max_bytes=self.photo_max_bytes,
            max_pixels=self.photo_max_pixels,
            burst_per_minute=self.photo_burst_per_minute,
            quota=PhotoQuota(
                daily_count=self.photo_daily_count, daily_bytes=self.photo_daily_bytes
            ),
        )

    def configure_passwords(self) -> None:
        """The password hash's costs, for this process."""
        passwords.configure(
            time_cost=self.password_time_cost, memory_cost_kib=self.password_memory_kib
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
