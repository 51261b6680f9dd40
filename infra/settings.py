"""One settings object for every process (env prefix ``MERITFLOW_``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_JWT_SECRET = "meritflow-development-secret-change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MERITFLOW_", env_file=".env", extra="ignore")

    env: str = Field("development", description="development | test | training | production")
    data_dir: Path = ROOT / "data"
    database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "meritflow"
    # Promotion periods run on a queue of their own (``period_queue``; empty: "<task_queue>-periods"),
    # so a period's own tasks never wait behind the thousands of promotions it has just started.
    period_task_queue: str = ""
    temporal_ui_port: int = 8233
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "meritflow-dev"
    jwt_audience: str = "meritflow"
    jwt_jwks_url: str | None = None
    token_ttl_seconds: int = 8 * 3600
    # A bearer token valid for longer than this (exp - iat) is refused, whoever signed it.
    token_max_lifetime_seconds: int = Field(24 * 3600, ge=60)
    # All request header fields together; more is refused with 431.
    max_header_bytes: int = Field(16_384, ge=1024)

    max_body_bytes: int = 1_048_576
    # How long a write waits for SQLite's write lock before the API answers 503 + Retry-After.
    sqlite_busy_timeout_ms: int = Field(5_000, ge=0, le=600_000)
    # SQLite calls that cannot wait run on the event loop's thread (infra/sqlite_inline.py);
    # false sends every call through aiosqlite's thread, as before (for comparison).
    sqlite_inline: bool = True
    # JSON bodies: nesting depth and element count (a 10,000-deep body is refused, not parsed).
    max_json_depth: int = Field(32, ge=2, le=512)
    max_json_elements: int = Field(100_000, ge=10)
    # Joint leave days (cuti bersama) are set by a yearly joint ministerial decree, not by statute,
    # so they are configuration on top of the national holiday calendar.
    joint_leave_days: list[date] = Field(default_factory=list)
    hr_source: str = "table"
    log_json: bool | None = None
    # The SIASN-style HR service, when hr_source is "http" (activities/hr_http.py). Keep
    # timeout x (retries + 1) under the snapshot activity's 30 s start-to-close timeout.
    hr_http_base_url: str = ""
    hr_http_token: str | None = Field(None, repr=False)
    hr_http_username: str | None = None
    hr_http_password: str | None = Field(None, repr=False)
    hr_http_timeout_seconds: float = Field(5.0, gt=0)
    hr_http_retries: int = Field(2, ge=0, le=10)
    # Outbound webhooks (activities/webhooks.py, workflows/webhooks.py).
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    webhook_batch_size: int = Field(20, ge=1, le=500)
    webhook_idle_seconds: float = Field(5.0, gt=0)
    webhook_backoff_initial_seconds: float = Field(1.0, gt=0)
    webhook_backoff_max_seconds: float = Field(300.0, gt=0)
    # Dead letters: a delivery still failing after this many attempts, or this long after the
    # first attempt of its round (a replay starts a new round), is marked dead. 0 attempts: no
    # attempt limit, the age alone bounds the budget.
    webhook_max_attempts: int = Field(0, ge=0)
    webhook_max_age_seconds: float = Field(86400.0, gt=0)
    # SSRF guard: subscription URLs are https to public addresses only. Loopback addresses (and
    # plain http to them) are allowed when this says so; unset, only in development and test.
    webhook_allow_loopback: bool | None = None
    # Signed ledger checkpoints (store/checkpoints.py): base64 of a 32-byte Ed25519 private seed.
    # Without one, development and test use a fixed development key; any other env refuses.
    checkpoint_signing_key: str | None = Field(None, repr=False)
    checkpoint_interval_minutes: int = Field(60, ge=1)
    # Where signed checkpoints are also published, outside the database (an append-only file).
    checkpoint_publish_dir: Path | None = None
    # Ledger exports (GET /v1/audit/export): replace NIPs and names with HMAC pseudonyms.
    export_pseudonymize: bool = False
    pseudonym_key: str | None = Field(None, repr=False)
    # Promotion periods (workflows/promotion_period.py): child starts in flight at once, children
    # per run before continue-as-new, members read per page.
    period_max_in_flight: int = Field(50, ge=1, le=1000)
    period_children_per_run: int = Field(500, ge=1, le=5000)
    period_page_size: int = Field(100, ge=1, le=1000)

    # The console (web/): its session cookie is signed with this secret (a development default
    # only in development, test and training), and marked Secure unless in development or test.
    session_secret: str = Field(DEV_JWT_SECRET + "-console", repr=False)
    session_max_age_seconds: int = Field(8 * 3600, ge=60)
    # Sign-in through the agency's OpenID Connect provider (authorization code with PKCE). The
    # claims name the person's roles (a list or one string), agency and name.
    oidc_metadata_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(None, repr=False)
    oidc_scope: str = "openid profile email"
    oidc_roles_claim: str = "roles"
    oidc_agency_claim: str = "agency"
    oidc_name_claim: str = "name"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'meritflow.db'}"

    @property
    def period_queue(self) -> str:
        return self.period_task_queue or f"{self.task_queue}-periods"

    @property
    def webhook_loopback_allowed(self) -> bool:
        if self.webhook_allow_loopback is not None:
            return self.webhook_allow_loopback
        return self.env in ("development", "test")

    @property
    def published_checkpoints_dir(self) -> Path:
        return self.checkpoint_publish_dir or self.data_dir / "published"

    @property
    def personas_allowed(self) -> bool:
        """The console's persona picker: development, test and training only."""
        return self.env in ("development", "test", "training")

    @property
    def secure_cookies(self) -> bool:
        return self.env not in ("development", "test", "training")

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.env != "development"


@lru_cache
def get_settings() -> Settings:
    return Settings()
