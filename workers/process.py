"""``process_conversation``: turn a conversation's pending messages into one decided, stored turn.

One conversation at a time (a per-tenant lock on the conversation id). The coalescing window is
waited out by re-enqueueing with the remaining delay, so a burst of short messages is one turn.
Decision, trace, new engine state and the outbox rows are written in ONE transaction
(``storage.Turns.complete``); effects are applied after it, then the sends are enqueued.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from engine import ConversationState, Decision, decide
from storage import Channel, ConversationRecord, MessageRecord, OutboxDraft, OutboxOrigin, Owner, StaleWrite
from storage.log_context import correlation_id_for, log_context, with_correlation
from workers.effects import apply_effects
from workers.handover_desk import announce_effects
from workers.locks import hold
from workers.runtime import Runtime
from workers.tenants import TenantRuntime
from workers.turn_input import TurnInput, build_turn_input, media_reply

__all__ = ["LOCK_TTL_SECONDS", "TurnReport", "process_conversation", "reply_key"]

log = logging.getLogger("truffles.process")

LOCK_TTL_SECONDS = 30.0
"""A turn takes milliseconds; a lock older than this belonged to a dead worker."""
BUSY_RETRY_SECONDS = 0.05
"""When another worker holds the conversation, look again this much later."""
WINDOW_EPSILON_SECONDS = 0.002
SILENT_ACTIONS = frozenset({"drop", "silent"})


@dataclass(frozen=True, slots=True)
class TurnReport:
    """What a processed turn did (for tests and logs)."""

    message_ids: tuple[uuid.UUID, ...]
    action: str
    outbox_ids: tuple[uuid.UUID, ...]


def reply_key(last_message_id: uuid.UUID) -> str:
    """The outbox idempotency key (and ChatFlow ``msg_id``) of the reply to a turn."""
    return f"reply-{last_message_id}"


def process_conversation(rt: Runtime, tenant_id: str, conversation_id: uuid.UUID) -> TurnReport | None:
    """Decide the pending messages of one conversation, if their coalescing window has passed."""
    tenant = rt.tenants.get(tenant_id)
    with hold(rt.locks_for(tenant_id), str(conversation_id), LOCK_TTL_SECONDS) as got:
        if not got:
            rt.queue.process_conversation(tenant_id, conversation_id, delay=BUSY_RETRY_SECONDS)
            return None
        return _turn(rt, tenant, conversation_id)


def _turn(rt: Runtime, tenant: TenantRuntime, conversation_id: uuid.UUID) -> TurnReport | None:
    store = tenant.store
    pending = store.messages.unprocessed(conversation_id)
    if not pending:
        return None
    # The turn answers its last message: its correlation id marks the decision, the reply and the cards.
    with log_context(tenant=tenant.id, correlation_id=_correlation(tenant.id, pending[-1])):
        return _pending_turn(rt, tenant, conversation_id, pending)


def _correlation(tenant_id: str, message: MessageRecord) -> str | None:
    if message.provider_message_id is None:
        return None
    return correlation_id_for(tenant_id, message.provider_message_id)


def _pending_turn(
    rt: Runtime, tenant: TenantRuntime, conversation_id: uuid.UUID, pending: Sequence[MessageRecord]
) -> TurnReport | None:
    store = tenant.store
    now = rt.now()
    wait = tenant.coalesce_seconds - (now - pending[-1].received_at).total_seconds()
    if wait > WINDOW_EPSILON_SECONDS:
        rt.queue.process_conversation(tenant.id, conversation_id, delay=wait)
        return None
    conversation = store.conversations.get(conversation_id)
    if conversation.owner != Owner.BOT:
        return _manager_owned(rt, tenant, conversation, pending)
    decision, state, trace = _decide(tenant, conversation, build_turn_input(pending), now)
    outbox = _outbox(conversation, pending, decision)
    try:
        outcome = store.turns.complete(
            conversation_id,
            [m.id for m in pending],
            decision=decision,
            trace=trace,
            expected_state_version=conversation.state_version,
            owner_version=conversation.owner_version,
            state=state,
            outbox=outbox,
        )
    except StaleWrite as exc:
        log.info("tenant=%s conversation=%s: lost a race (%s); retrying", tenant.id, conversation_id, exc)
        rt.queue.process_conversation(tenant.id, conversation_id, delay=BUSY_RETRY_SECONDS)
        return None
    apply_effects(tenant, conversation_id, decision.get("effects", []))
    announce_effects(rt, tenant, conversation, pending, decision)
    for outbox_id in outcome.outbox_ids:
        rt.queue.send_outbox(tenant.id, outbox_id)
    _observe(rt, tenant, pending, decision, now)
    return TurnReport(tuple(m.id for m in pending), str(decision["action"]), outcome.outbox_ids)


def _decide(
    tenant: TenantRuntime, conversation: ConversationRecord, turn: TurnInput, now: datetime
) -> tuple[dict[str, Any], bytes | None, Any]:
    """The decision (JSON-ready), the new engine state (None = unchanged) and the trace."""
    canned = media_reply(tenant.pack, turn)
    if canned is not None:
        intent, reply = canned
        decision = _decision_dict(
            action="reply",
            reply=reply,
            intent=intent,
            reason="attachment without text",
            pack_version=tenant.pack.version,
        )
        trace = [
            {
                "stage": "media",
                "decision": "reply",
                "reason": intent,
                "data": {"media": list(turn.media), "refused": list(turn.refused)},
            }
        ]
        return decision, None, trace
    if not turn.text:
        decision = _decision_dict(
            action="silent", reply="", intent="", reason="empty message", pack_version=tenant.pack.version
        )
        return decision, None, []
    state = _load_state(tenant, conversation)
    try:
        result: Decision = decide(tenant.pack, state, turn.text, now)
    except Exception as exc:  # an engine bug must not leave the customer unanswered (nor loop forever)
        return _engine_failed(tenant, conversation, exc)
    decision = msgspec.to_builtins(result)
    decision.pop("state", None)
    trace = decision.pop("trace", [])
    if turn.media or turn.refused:
        decision["media"] = {"accepted": list(turn.media), "refused": list(turn.refused)}
    return decision, msgspec.json.encode(result.state), trace


def _engine_failed(
    tenant: TenantRuntime, conversation: ConversationRecord, exc: Exception
) -> tuple[dict[str, Any], bytes | None, Any]:
    """Hand the turn to a manager with the pack's default escalation reply; keep the engine state."""
    log.exception("tenant=%s conversation=%s: the engine failed; handing over", tenant.id, conversation.id)
    decision = _decision_dict(
        action="escalate",
        reply=tenant.pack.templates.get("escalate_default", ""),
        intent="",
        reason="engine_error",
        pack_version=tenant.pack.version,
    )
    decision["effects"] = [{"kind": "handover", "reason": "engine_error"}]
    trace = [{"stage": "engine", "decision": "error", "reason": f"{type(exc).__name__}: {exc}"[:500]}]
    return decision, None, trace


def _load_state(tenant: TenantRuntime, conversation: ConversationRecord) -> ConversationState:
    if not conversation.state:
        return ConversationState()
    try:
        return msgspec.json.decode(conversation.state, type=ConversationState)
    except msgspec.DecodeError as exc:
        log.error(
            "tenant=%s conversation=%s: stored engine state unreadable (%s); starting from a fresh state",
            tenant.id,
            conversation.id,
            exc,
        )
        return ConversationState()


def _decision_dict(*, action: str, reply: str, intent: str, reason: str, pack_version: str) -> dict[str, Any]:
    return {
        "action": action,
        "reply": reply,
        "intent": intent,
        "reason": reason,
        "facts_used": [],
        "booking_slots": {},
        "effects": [],
        "pack_version": pack_version,
    }


def _outbox(
    conversation: ConversationRecord, pending: Sequence[MessageRecord], decision: dict[str, Any]
) -> list[OutboxDraft]:
    reply = str(decision.get("reply") or "")
    if not reply.strip() or decision.get("action") in SILENT_ACTIONS:
        return []
    hands_over = any(e.get("kind") == "handover" for e in decision.get("effects", []))
    last = pending[-1]
    return [
        OutboxDraft(
            idempotency_key=reply_key(last.id),
            channel=Channel.CHATFLOW,
            payload=with_correlation(
                {"kind": "text", "jid": conversation.jid, "text": reply, "reply_to": str(last.id)}
            ),
            conversation_id=conversation.id,
            # The reply announcing a hand-over must survive the ownership change it causes.
            origin=OutboxOrigin.SYSTEM if hands_over else OutboxOrigin.BOT,
        )
    ]


def _manager_owned(
    rt: Runtime, tenant: TenantRuntime, conversation: ConversationRecord, pending: Sequence[MessageRecord]
) -> TurnReport | None:
    """A manager (or a pending hand-over) owns the conversation: store the turn as silent, forward it."""
    decision = _decision_dict(
        action="silent",
        reply="",
        intent="",
        reason=f"owner is {conversation.owner.value}",
        pack_version=tenant.pack.version,
    )
    try:
        tenant.store.turns.complete(
            conversation.id,
            [m.id for m in pending],
            decision=decision,
            trace=[],
            expected_state_version=conversation.state_version,
            owner_version=conversation.owner_version,
        )
    except StaleWrite:
        rt.queue.process_conversation(tenant.id, conversation.id, delay=BUSY_RETRY_SECONDS)
        return None
    rt.manager_forward(tenant, conversation, pending)
    rt.telemetry.turns.labels(tenant.id, "silent").inc()
    return TurnReport(tuple(m.id for m in pending), "silent", ())


def _observe(
    rt: Runtime,
    tenant: TenantRuntime,
    pending: Sequence[MessageRecord],
    decision: dict[str, Any],
    now: datetime,
) -> None:
    action = str(decision.get("action"))
    rt.telemetry.turns.labels(tenant.id, action).inc()
    latency = (now - pending[-1].received_at).total_seconds() - tenant.coalesce_seconds
    rt.telemetry.decide_seconds.labels(tenant.id).observe(max(0.0, latency))
    merged = [c for c in (_correlation(tenant.id, m) for m in pending[:-1]) if c]
    log.info(
        "tenant=%s decision made, turn of %d message(s)%s: %s/%s (%s)",
        tenant.id,
        len(pending),
        f" (also answers {', '.join(merged)})" if merged else "",
        action,
        decision.get("intent"),
        decision.get("reason"),
        extra={"event": "turn.decided"},
    )
