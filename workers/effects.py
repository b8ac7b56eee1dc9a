"""Apply a decision's effects after its turn is stored: handover, booking request, mute/unmute.

Each effect is idempotent or harmless to repeat (an open handover is returned, not duplicated).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from storage import BookingDraft, StorageError
from workers.tenants import TenantRuntime

__all__ = ["apply_effects"]

log = logging.getLogger("truffles.effects")


def apply_effects(
    tenant: TenantRuntime, conversation_id: uuid.UUID, effects: Iterable[dict[str, Any]]
) -> list[str]:
    """Apply each effect; returns the kinds applied. A failing effect is logged and the rest still run."""
    applied: list[str] = []
    for effect in effects:
        kind = str(effect.get("kind", ""))
        try:
            _apply(tenant, conversation_id, kind, effect)
        except StorageError as exc:
            log.error(
                "tenant=%s conversation=%s: effect %s failed: %s", tenant.id, conversation_id, kind, exc
            )
            continue
        applied.append(kind)
    return applied


def _apply(tenant: TenantRuntime, conversation_id: uuid.UUID, kind: str, effect: dict[str, Any]) -> None:
    store = tenant.store
    if kind == "handover":
        reason = str(effect.get("reason") or "escalation")
        handover = store.handovers.open(conversation_id, reason)
        log.info(
            "tenant=%s conversation=%s: handover %s (%s)", tenant.id, conversation_id, handover.id, reason
        )
    elif kind == "booking_request":
        data = effect.get("data") or {}
        booking = store.bookings.create(
            BookingDraft(
                conversation_id=conversation_id,
                service=str(data.get("service", "")),
                datetime_text=str(data.get("datetime", "")),
                name=str(data.get("name", "")),
                phone=str(data.get("phone", "")),
            )
        )
        log.info("tenant=%s conversation=%s: booking request %s", tenant.id, conversation_id, booking.id)
    elif kind in ("mute", "unmute"):
        store.conversations.set_muted(conversation_id, kind == "mute")
    else:
        log.warning("tenant=%s: unknown effect kind %r ignored (engine newer than workers?)", tenant.id, kind)
