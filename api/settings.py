"""Settings from the environment (and a ``.env`` file), read once at start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.client_address import TrustedProxies, parse_trusted_proxies
from services.auth import passwords
from services.demands.photos import UploadPolicy
from services.demands.quota import PhotoQuota
from services.storage import LocalStore, S3Store, Store


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
