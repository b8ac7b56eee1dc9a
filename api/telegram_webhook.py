"""``POST /webhooks/telegram/{tenant}``: updates from the tenant's own bot (managers in the forum group).

Refused (401) unless ``X-Telegram-Bot-Api-Secret-Token`` equals the tenant's secret, compared in
constant time; a refusal raises an ops alert. Every authenticated update gets 200: Telegram
re-delivers anything else, and the updates behind an undeliverable one wait for it, so a 400 for an
update we cannot read would hold up the managers' desk. Such an update is acknowledged as
``unreadable``, its body (first :data:`UNREADABLE_BODY_LOGGED` bytes) goes into a warning line so
nothing is lost, and ops get an alert. The work runs in a worker thread through
:mod:`workers.telegram_updates`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter

from api.errors import Forbidden, TenantNotFound, Unauthorized
from api.problems import problem_responses
from channels.errors import ChannelPayloadError
from channels.telegram import parse_update
from workers.alerts import Alert
from workers.telegram_updates import handle_update

__all__ = ["TELEGRAM_SECRET_HEADER", "telegram_webhook"]

log = logging.getLogger("truffles.api.telegram")

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UNREADABLE_BODY_LOGGED = 4096
"""How much of an unreadable update's body the warning line keeps."""


@post(
    "/webhooks/telegram/{tenant_id:str}",
    status_code=200,
    summary="Telegram update (manager desk)",
    responses=problem_responses(400, 401, 403, 404, 413),
)
async def telegram_webhook(
    tenant_id: FromPath[str],
    request: Request[Any, Any, Any],
    state: State,
    secret: Annotated[str | None, HeaderParameter(name=TELEGRAM_SECRET_HEADER, required=False)] = None,
) -> dict[str, Any]:
    """Apply one manager action (a message in a customer's topic, a button press)."""
    rt = state.edge.rt
    tenant = rt.tenants.find(tenant_id)
    tg = rt.telegram.for_tenant(tenant_id) if rt.telegram is not None and tenant is not None else None
    if tenant is None or tg is None:
        raise TenantNotFound(f"no Telegram desk for tenant {tenant_id[:64]!r}; run `truffles telegram setup`")
    if tg.secret is None:
        raise Forbidden(
            f"tenant {tenant.id!r} has no Telegram webhook secret: set the env var named by "
            "channels.telegram.webhook_secret_env and run `truffles telegram setup` again"
        )
    if not secret or not hmac.compare_digest(secret.encode(), tg.secret.encode()):
        log.warning("tenant=%s telegram webhook without a valid secret refused", tenant.id)
        rt.alerts.raise_alert(Alert(tenant.id, "webhook_secret", "a Telegram update without a valid secret"))
        raise Unauthorized(f"missing or wrong {TELEGRAM_SECRET_HEADER} for tenant {tenant.id!r}")
    body = await request.body()
    try:
        update = parse_update(body)
    except ChannelPayloadError as exc:
        log.warning(
            "tenant=%s telegram update acknowledged but not applied (%s); body: %r",
            tenant.id,
            exc,
            body[:UNREADABLE_BODY_LOGGED],
            extra={"event": "telegram.unreadable"},
        )
        rt.alerts.raise_alert(
            Alert(tenant.id, "telegram_unreadable", f"a Telegram update could not be read: {exc.field}")
        )
        return {"status": "unreadable", "detail": str(exc)}
    outcome = await anyio.to_thread.run_sync(handle_update, rt, tenant, tg, update)
    return {"status": outcome}
