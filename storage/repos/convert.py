"""ORM row -> immutable record conversions."""

from __future__ import annotations

from storage.models import (
    BookingRequest,
    Conversation,
    Customer,
    DailyMetrics,
    Handover,
    Message,
    OutboxRow,
    Tenant,
)
from storage.records import (
    BookingRecord,
    ConversationRecord,
    CustomerRecord,
    DailyMetricsRecord,
    HandoverRecord,
    MessageRecord,
    OutboxRecord,
    TenantRecord,
)

__all__ = [
    "booking_record",
    "conversation_record",
    "customer_record",
    "handover_record",
    "message_record",
    "metrics_record",
    "outbox_record",
    "tenant_record",
]


def tenant_record(row: Tenant) -> TenantRecord:
    return TenantRecord(
        id=row.id,
        display_name=row.display_name,
        settings=dict(row.settings),
        secret_refs=dict(row.secret_refs),
        chatflow_instance_id=row.chatflow_instance_id,
        telegram_chat_id=row.telegram_chat_id,
        insecure_demo=row.insecure_demo,
        created_at=row.created_at,
    )


def customer_record(row: Customer) -> CustomerRecord:
    return CustomerRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        jid=row.jid,
        push_name=row.push_name,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
    )


def conversation_record(row: Conversation, jid: str) -> ConversationRecord:
    return ConversationRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        customer_id=row.customer_id,
        jid=jid,
        state=row.state,
        state_version=row.state_version,
        owner=row.owner,
        owner_version=row.owner_version,
        muted=row.muted,
        last_activity_at=row.last_activity_at,
        created_at=row.created_at,
    )


def message_record(row: Message) -> MessageRecord:
    return MessageRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        conversation_id=row.conversation_id,
        direction=row.direction,
        provider_message_id=row.provider_message_id,
        text=row.text,
        media=row.media,
        decision=row.decision,
        trace=row.trace,
        received_at=row.received_at,
        decided_at=row.decided_at,
        processed=row.processed,
    )


def outbox_record(row: OutboxRow) -> OutboxRecord:
    return OutboxRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        origin=row.origin,
        payload=row.payload,
        idempotency_key=row.idempotency_key,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        owner_version=row.owner_version,
        provider_message_id=row.provider_message_id,
        created_at=row.created_at,
        send_started_at=row.send_started_at,
        sent_at=row.sent_at,
    )


def handover_record(row: Handover) -> HandoverRecord:
    return HandoverRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        conversation_id=row.conversation_id,
        status=row.status,
        reason=row.reason,
        telegram_thread_id=row.telegram_thread_id,
        taken_by=row.taken_by,
        created_at=row.created_at,
        taken_at=row.taken_at,
        resolved_at=row.resolved_at,
        reminders_sent=row.reminders_sent,
    )


def booking_record(row: BookingRequest) -> BookingRecord:
    return BookingRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        conversation_id=row.conversation_id,
        service=row.service,
        datetime_text=row.datetime_text,
        name=row.name,
        phone=row.phone,
        status=row.status,
        handled_by=row.handled_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def metrics_record(row: DailyMetrics) -> DailyMetricsRecord:
    return DailyMetricsRecord(
        tenant_id=row.tenant_id, day=row.day, counters=dict(row.counters), updated_at=row.updated_at
    )
