"""Service settings from the environment (`GAPWATCH_*`); they override the site file."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

# Values people paste from examples or leave as reminders; a service must not start with them.
_PLACEHOLDER_WORDS = ("change", "placeholder", "example", "secret", "xxx", "todo", "fixme", "your")
# The example secret printed in the Standard Webhooks specification.
_SPEC_EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _looks_generated(value: str) -> bool:
    """Random bytes in base64 mix the cases about evenly; typed text keeps to one case.

    Of the 36 or so letters in a 32-byte secret, fewer than 30 % fall in the rarer case about
    once in a hundred secrets, and a word at a word start is chance in about one in three
    thousand (a generated "whsec_XxXa..." was refused under the word rule alone).
    """
    letters = [c for c in value if c.isalpha()]
    if len(value) < 24 or len(letters) < 12 or len(set(value)) < 12:
        return False
    upper = sum(c.isupper() for c in letters)
    return min(upper, len(letters) - upper) >= 0.3 * len(letters)


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_TYPED_WORD = re.compile(r"(?<![a-z])(?:" + "|".join(_PLACEHOLDER_WORDS) + ")")


def _looks_like_placeholder(value: str) -> bool:
    if _looks_generated(value):
        return False
    # Typed text: camelCase and digits also start words ("MySecret2024Example").
    return _TYPED_WORD.search(_CAMEL.sub("-", value).lower()) is not None


class Settings(BaseSettings):
    """Everything the running service needs that is not in the site file."""

    model_config = SettingsConfigDict(
        env_prefix="GAPWATCH_", extra="ignore", validate_default=True, frozen=True
    )

    db_url: str = Field(
        default="sqlite:///var/gapwatch.db", description="SQLAlchemy URL of the store."
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Bootstraps an admin bearer token (at least 16 characters)."
    )
    dispatch_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Default dispatch webhook endpoint.",
    )
    dispatch_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks secret of the endpoint, `whsec_<base64>`."
    )
    dispatch_unsigned: bool = Field(
        default=False,
        description="Send to GAPWATCH_DISPATCH_URL without a signature, on purpose (without "
        "it, the URL needs GAPWATCH_DISPATCH_SECRET and the service refuses to start).",
    )
    probe_interval_s: float | None = Field(
        default=None, gt=0, description="Probe interval for every camera, seconds."
    )
    file_playback: Literal["start", "clock"] = Field(
        default="start",
        description="How the service probes cameras whose stream is a recorded file: from the "
        "file's start each time, or `clock`, where a loop of the file would be now, so that "
        "each probe sees another moment (the demo; local executor).",
    )
    site: Path | None = Field(default=None, description="The site file to serve.")
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the HTTP server binds.")
    probe_workers: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Probes running at the same time (local executor; with celery, the "
        "workers' total --concurrency, which the scheduler plans with).",
    )
    scheduler: bool = Field(
        default=True, description="Run the probe scheduler (off for read-only API replicas)."
    )
    lease_retry_s: float = Field(
        default=15.0, gt=0, description="Seconds between a standby's tries to become scheduler."
    )
    sse_heartbeat_s: float = Field(
        default=15.0, gt=0, description="Seconds between keep-alive comments on the event stream."
    )
    sse_poll_s: float = Field(
        default=0.5, gt=0, description="Seconds between looks at the event store for new events."
    )
    executor: Literal["local", "celery"] = Field(
        default="local",
        description="Where probes run: local threads, or Celery probe workers on a Redis broker.",
    )
    camera_metrics: bool = Field(
        default=True,
        description="Export per-camera Prometheus series (gapwatch_camera_up, "
        "gapwatch_camera_fault); off for very large sites that only need the totals.",
    )
    platform_sync_s: float | None = Field(
        default=None,
        gt=0,
        description="Seconds between inventory syncs with the site's platforms (WVP, ONVIF) "
        "that set no `sync_interval_s` of their own; no sync when neither is set.",
    )
    secrets_file: Path | None = Field(
        default=None,
        description="File of NAME=value lines with platform and camera passwords, looked up "
        "by their `password_env` names when the environment lacks them.",
    )
    broker_url: str | None = Field(
        default=None,
        pattern=r"^rediss?://",
        description="Redis URL of the probe workers' broker (GAPWATCH_EXECUTOR=celery).",
    )

    public_docs: bool = Field(
        default=False,
        description="Serve /openapi.json, /docs and /redoc without a token (default: the API "
        "description needs a token like every other route but /healthz).",
    )
    dispatch_allow: str = Field(
        default="",
        max_length=4000,
        description="Comma-separated hosts, host:port, or CIDR networks that dispatch "
        "webhooks may go to although they are loopback, link-local or private, e.g. "
        "127.0.0.1:9000,10.2.0.0/16.",
    )
    max_connections: int = Field(
        default=1000,
        ge=16,
        le=100_000,
        description="Client connections held open at once; more get an immediate 503 (kept "
        "below the process's descriptor limit).",
    )
    header_timeout_s: float = Field(
        default=10.0,
        ge=0.5,
        le=300,
        description="Seconds a client has to send its request headers before it is closed.",
    )
    keep_alive_s: int = Field(
        default=5, ge=1, le=300, description="Seconds an idle keep-alive connection is kept."
    )
    keep_probes_days: float = Field(
        default=30.0,
        ge=1.0,
        le=3660.0,
        description="Days each probe result is kept (a camera's probe history); older ones are "
        "deleted hourly. 5,000 cameras probed every minute write 7.2 million a day.",
    )
    keep_events_days: float = Field(
        default=400.0,
        ge=1.0,
        le=3660.0,
        description="Days live events (state changes, check-offs, alert news) are kept, for "
        "health history and shift reports; each camera's last state change before that is kept "
        "whatever its age, so its state then is still known.",
    )

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if len(raw) < 16:
            raise ValueError("GAPWATCH_ADMIN_TOKEN must be at least 16 characters long")
        if _looks_like_placeholder(raw):
            raise ValueError(
                "GAPWATCH_ADMIN_TOKEN looks like a placeholder; generate one, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value

    @field_validator("dispatch_secret")
    @classmethod
    def _check_dispatch_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if not raw.startswith("whsec_"):
            raise ValueError("GAPWATCH_DISPATCH_SECRET must look like whsec_<base64>")
        body = raw.removeprefix("whsec_")
        if raw == _SPEC_EXAMPLE_SECRET or _looks_like_placeholder(body):
            raise ValueError("GAPWATCH_DISPATCH_SECRET is a placeholder; generate a random one")
        try:
            key = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise ValueError(
                "GAPWATCH_DISPATCH_SECRET: the part after whsec_ is not base64"
            ) from None
        if not 24 <= len(key) <= 64:
            raise ValueError(
                f"GAPWATCH_DISPATCH_SECRET holds {len(key)} bytes; Standard Webhooks wants 24..64"
            )
        return value

    @model_validator(mode="after")
    def _check_dispatch_signing(self) -> Settings:
        # Refused here, at start-up, rather than at the first send: a receiver that verifies
        # signatures would reject every task, and one that does not would take forged ones.
        if self.dispatch_url and self.dispatch_secret is None and not self.dispatch_unsigned:
            raise ValueError(
                "GAPWATCH_DISPATCH_URL is set without GAPWATCH_DISPATCH_SECRET: tasks would go "
                "out unsigned; set the secret (whsec_<base64>), or GAPWATCH_DISPATCH_UNSIGNED=true "
                "to mean it / 设置了 GAPWATCH_DISPATCH_URL 却没有 GAPWATCH_DISPATCH_SECRET："
                "任务将不带签名发出；请设置密钥，或明确设置 GAPWATCH_DISPATCH_UNSIGNED=true"
            )
        if self.dispatch_secret is not None and self.dispatch_unsigned:
            raise ValueError(
                "GAPWATCH_DISPATCH_SECRET and GAPWATCH_DISPATCH_UNSIGNED=true are both set; "
                "choose one / 密钥与 GAPWATCH_DISPATCH_UNSIGNED=true 只能选其一"
            )
        return self

    @model_validator(mode="after")
    def _check_executor(self) -> Settings:
        if self.executor == "celery" and not self.broker_url:
            raise ValueError(
                "GAPWATCH_EXECUTOR=celery needs GAPWATCH_BROKER_URL (redis://HOST:6379/0)"
            )
        return self

    @property
    def db_file(self) -> Path | None:
        """The SQLite file behind `db_url`, if it is a file-backed SQLite URL."""
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix) and ":memory:" not in self.db_url:
            return Path(self.db_url.removeprefix(prefix).split("?", 1)[0])
        return None
