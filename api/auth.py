"""Secrets at the edge: the tenant's webhook secret and the admin token, compared in constant time."""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping

from api.errors import Forbidden, Unauthorized
from workers.tenants import TenantRuntime

__all__ = ["admin_token", "check_admin_token", "check_webhook_secret"]

log = logging.getLogger("truffles.api.auth")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def check_webhook_secret(tenant: TenantRuntime, given: str | None, *, where: str) -> None:
    """Raise unless ``given`` is the tenant's webhook secret (or the tenant is an insecure local demo)."""
    expected = tenant.webhook_secret
    if expected is None:
        if tenant.insecure_demo:
            return
        env = tenant.pack.source.tenant.channels.chatflow.webhook_secret_env or "<unset>"
        raise Forbidden(
            f"tenant {tenant.id!r} has no webhook secret configured, so its webhooks are refused: set the "
            f"env var {env} (named by channels.chatflow.webhook_secret_env), or mark the tenant "
            "insecure_demo for a local demo only"
        )
    if not given:
        raise Unauthorized(f"missing webhook secret: send it in {where}")
    if not _same(given, expected):
        raise Unauthorized(f"wrong webhook secret in {where} for tenant {tenant.id!r}")


def admin_token(env_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    return (os.environ if environ is None else environ).get(env_name) or None


def check_admin_token(expected: str | None, given: str | None, *, env_name: str) -> None:
    if expected is None:
        raise Forbidden(f"admin routes are disabled: set {env_name} to a long random token")
    if not given or not _same(given, expected):
        raise Unauthorized("missing or wrong X-Admin-Token header")
