"""Service settings (web edge and workers), read from the environment.

Every field has an embedded default so ``truffles serve`` runs on a laptop with nothing set; production
sets ``TRUFFLES_BROKER=redis`` and the URLs (see ``compose.yaml``). Secrets are never settings: a
setting names the environment variable that holds the secret (``admin_token_env``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "DEFAULT_COALESCE_SECONDS",
    "DEFAULT_DATABASE_URL",
    "ENV_PREFIX",
    "RateLimit",
    "ServiceSettings",
    "SettingsError",
    "load_settings",
]

ENV_PREFIX = "TRUFFLES_"
DEFAULT_DATABASE_URL = "sqlite:///var/truffles.db"
DEFAULT_COALESCE_SECONDS = 1.0
"""Used when neither the pack nor ``TRUFFLES_COALESCE_SECONDS`` says otherwise."""

Positive = Annotated[float, msgspec.Meta(gt=0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Count = Annotated[int, msgspec.Meta(ge=1)]


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""

    def __init__(self, variable: str, value: str, problem: str, fix: str) -> None:
        self.variable = variable
        self.value = value
        super().__init__(f"{variable}={value!r}: {problem}. Fix: {fix}")


class RateLimit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A token bucket: up to ``burst`` messages at once, refilled at ``per_second``.

    In the environment it is written ``BURST/PER_SECOND``, e.g. ``TRUFFLES_RATE_CUSTOMER_TEXT=10/0.5``.
    """

    burst: Positive
    per_second: Positive


class ServiceSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the API and the workers need besides the packs themselves."""

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL: the embedded SQLite file, or ``postgresql+psycopg://…`` in production."""
    redis_url: str = ""
    """Redis for dedup, rate limits, locks (and the broker in ``redis`` mode); empty = in-memory."""
    broker: Literal["embedded", "redis"] = "embedded"
    """``embedded``: an in-process broker with worker threads; ``redis``: dramatiq on Redis."""
    packs_dir: str = "packs"
    """Every sub-folder with a ``tenant.yaml`` is a tenant."""
    admin_token_env: str = "TRUFFLES_ADMIN_TOKEN"
    """Name of the env var holding the token that ``X-Admin-Token`` must carry."""
    max_body_bytes: Count = 256 * 1024
    """Larger webhook bodies get 413 (ChatFlow sends media by URL, so bodies are small)."""
    coalesce_seconds: NonNegative | None = None
    """Override every pack's ``conversation.coalesce_seconds`` (tests, benchmarks)."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where ChatFlow reaches this service; printed as the webhook URL to configure."""
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8000
    chatflow_base_url: str = ""
    """ChatFlow API root; empty = start the local emulator (embedded) or the real API (redis mode)."""
    telegram_base_url: str = ""
    """Telegram Bot API root (issue 6); empty = the real one."""
    worker_threads: Count = 8
    worker_poll_ms: Count = 10
    """Idle worker consumers poll the broker this often: the upper bound of pick-up lag per hop."""
    send_timeout_seconds: Positive = 15.0
    outbox_max_attempts: Count = 8
    outbox_backoff_base_seconds: Positive = 0.5
    outbox_backoff_max_seconds: Positive = 300.0
    sweep_interval_seconds: Positive = 15.0
    pack_reload_seconds: NonNegative = 5.0
    """How often pack folders are checked for edits, served then without a restart; 0 = off."""
    stuck_sending_seconds: Positive = 60.0
    """A row in ``sending`` longer than this is presumed orphaned by a dead worker."""
    stuck_inbound_grace_seconds: Positive = 30.0
    """An inbound message unprocessed this long after its coalescing window is re-enqueued."""
    dedup_ttl_seconds: Positive = 86_400.0
    media_max_bytes: Count = 16 * 1024 * 1024
    media_dir: str = "var/media"
    """Where media we send is stored (per tenant), served by ``GET /media/{token}``."""
    media_secret_env: str = "TRUFFLES_MEDIA_SECRET"
    """Name of the env var holding the key of signed media URLs (embedded mode: generated if unset)."""
    media_url_ttl_seconds: Positive = 3600.0
    """Lifetime of a signed media URL (a fresh one is signed for each send attempt)."""
    rate_tenant_text: RateLimit = RateLimit(burst=2000, per_second=1000)
    rate_tenant_media: RateLimit = RateLimit(burst=200, per_second=50)
    rate_customer_text: RateLimit = RateLimit(burst=20, per_second=0.5)
    rate_customer_media: RateLimit = RateLimit(burst=5, per_second=0.1)


_RATE_FIELDS = frozenset(
    {"rate_tenant_text", "rate_tenant_media", "rate_customer_text", "rate_customer_media"}
)


def _env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _parse_rate(variable: str, raw: str) -> dict[str, float]:
    burst, sep, per_second = raw.partition("/")
    try:
        if not sep:
            raise ValueError(raw)
        return {"burst": float(burst), "per_second": float(per_second)}
    except ValueError:
        raise SettingsError(variable, raw, "not BURST/PER_SECOND", "write e.g. 10/0.5") from None


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> ServiceSettings:
    """Settings from ``TRUFFLES_<FIELD>`` variables (e.g. ``TRUFFLES_DATABASE_URL``), then ``overrides``.

    Raises:
        SettingsError: a variable is malformed; the message names it, its value and the fix.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for field in ServiceSettings.__struct_fields__:
        variable = _env_name(field)
        value = env.get(variable)
        if value is None or value == "":
            continue
        raw[field] = _parse_rate(variable, value) if field in _RATE_FIELDS else value
    try:
        settings = msgspec.convert(raw, ServiceSettings, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rpartition("$.")[2].split(".")[0].split("`")[0]
        variable = _env_name(field) if field in ServiceSettings.__struct_fields__ else "TRUFFLES_*"
        raise SettingsError(
            variable, str(raw.get(field, "")), str(exc), "see config/settings.py for the accepted values"
        ) from None
    return msgspec.structs.replace(settings, **overrides) if overrides else settings
