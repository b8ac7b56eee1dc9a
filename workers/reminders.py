"""The hand-over clock: remind managers of untaken hand-overs, expire the forgotten ones.

Driven by the sweeper (and by tests with a controllable clock, through ``rt.now()``). Per tenant:
``handover.reminder_minutes`` (default 30 and 60; the second and later ones mention
``channels.telegram.owner_username``) and ``handover.expire_minutes`` (default 120), after which the
hand-over expires, the conversation returns to the bot and the topic gets a note. Each reminder
and note has its own idempotency key, so two sweepers never post one twice.
"""

from __future__ import annotations

import logging

from storage import HandoverRecord, HandoverStatus, IllegalTransition
from workers.handover_desk import enqueue_topic
from workers.runtime import Runtime
from workers.telegram_desk import TenantTelegram
from workers.tenants import TenantRuntime

__all__ = ["run_handover_clock"]

log = logging.getLogger("truffles.reminders")


def run_handover_clock(rt: Runtime, tenant: TenantRuntime) -> int:
    """Post due reminders and expire overdue hand-overs of one tenant; returns the actions taken."""
    tg = rt.telegram.for_tenant(tenant.id) if rt.telegram is not None else None
    if tg is None:
        return 0
    actions = 0
    for handover in tenant.store.handovers.list_by_status(HandoverStatus.PENDING):
        minutes = (rt.now() - handover.created_at).total_seconds() / 60
        if minutes >= tg.expire_minutes:
            actions += _expire(rt, tenant, tg, handover)
        else:
            actions += _remind(rt, tenant, tg, handover, minutes)
    return actions


def _expire(rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, handover: HandoverRecord) -> int:
    try:
        tenant.store.handovers.expire(handover.id)
    except IllegalTransition:  # taken or closed meanwhile
        return 0
    log.info("tenant=%s handover %s expired after %d min", tenant.id, handover.id, tg.expire_minutes)
    conversation = tenant.store.conversations.get(handover.conversation_id)
    note = (
        f"⌛ Никто не взял разговор за {tg.expire_minutes} мин: передача закрыта, клиенту снова "
        "отвечает бот. Напишите в этой теме, чтобы взять разговор."
    )
    enqueue_topic(rt, tenant, conversation, f"expired-{handover.id}", note)
    return 1


def _remind(
    rt: Runtime, tenant: TenantRuntime, tg: TenantTelegram, handover: HandoverRecord, minutes: float
) -> int:
    due = [m for m in tg.reminder_minutes if minutes >= m]
    if handover.reminders_sent >= len(due):
        return 0
    conversation = tenant.store.conversations.get(handover.conversation_id)
    sent = 0
    for index in range(handover.reminders_sent, len(due)):
        mention = f" @{tg.owner_username}" if index >= 1 and tg.owner_username else ""
        text = f"⏰ Клиент ждёт ответа уже {due[index]} мин — нажмите «Взять» или напишите здесь.{mention}"
        enqueue_topic(rt, tenant, conversation, f"remind-{handover.id}-{index}", text)
        tenant.store.handovers.record_reminder(handover.id, sent=index + 1)  # idempotent: sweepers overlap
        sent += 1
    return sent
