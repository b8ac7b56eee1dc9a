"""Realistic data for the restore drill, written through the real repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage import (
    BookingDraft,
    Channel,
    Database,
    InboundDraft,
    OutboxDraft,
    OutboxOrigin,
    TenantDirectory,
    TenantStore,
)

TENANTS = ("demo_salon", "auto_service")
TEXTS = ("Сколько стоит маникюр?", "Можно оплатить через Kaspi? 💳", "Запишите на завтра в 15:00, Айгерим")


@dataclass(frozen=True)
class Seeded:
    tenants: int
    customers: int
    messages: int
    outbox: int
    handovers: int
    bookings: int


def seed(db: Database, customers_per_tenant: int = 30) -> Seeded:
    """Tenants, customers, conversations with decided turns (decision + trace + state), sent and pending
    outbox rows with transcripts, hand-overs (open, taken, resolved), bookings, topics and metrics."""
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    directory = TenantDirectory(db.session_factory)
    counts = {"messages": 0, "outbox": 0, "handovers": 0, "bookings": 0}
    for t, tenant in enumerate(TENANTS):
        directory.upsert(tenant, f"Tenant {tenant}", settings={"locale": "ru", "nested": {"b": [1, 2]}},
                         secret_refs={"webhook": f"{tenant.upper()}_WEBHOOK_SECRET"},
                         telegram_chat_id=-1001000000000 - t)  # fmt: skip
        store = TenantStore(db.session_factory, tenant)
        for c in range(customers_per_tenant):
            _conversation(store, tenant, t, c, start + timedelta(minutes=c), counts)
        store.metrics.bump(date(2026, 11, 20), {"turns": customers_per_tenant * 2, "escalations": 3})
    return Seeded(len(TENANTS), len(TENANTS) * customers_per_tenant, counts["messages"], counts["outbox"],
                  counts["handovers"], counts["bookings"])  # fmt: skip


def _conversation(
    store: TenantStore, tenant: str, t: int, c: int, when: datetime, counts: dict[str, int]
) -> None:
    jid = f"7701{t}{c:06d}@s.whatsapp.net"
    last = None
    for m, text in enumerate(TEXTS[: 2 + c % 2]):
        got = store.messages.record_inbound(InboundDraft(
            provider_message_id=f"{tenant}-{c}-{m}", jid=jid, text=text, push_name=f"Клиент {c}",
            received_at=when + timedelta(seconds=m),
        ))  # fmt: skip
        counts["messages"] += 1
        assert got.conversation_id is not None and got.message_id is not None
        conversation = store.conversations.get(got.conversation_id)
        outcome = store.turns.complete(
            got.conversation_id, [got.message_id],
            decision={"action": "reply", "reply": f"Ответ {m}", "intent": "price", "facts_used": ["price.x"]},
            trace=[{"stage": "intent", "decision": "match", "scores": {"price": 0.91, "hours": 0.12}}],
            expected_state_version=conversation.state_version, owner_version=conversation.owner_version,
            state=f'{{"turn": {m}}}'.encode(),
            outbox=[OutboxDraft(idempotency_key=f"reply-{got.message_id}", channel=Channel.CHATFLOW,
                                payload={"kind": "text", "jid": jid, "text": f"Ответ {m}"},
                                conversation_id=got.conversation_id)],
        )  # fmt: skip
        counts["outbox"] += len(outcome.outbox_ids)
        last = got.conversation_id
        if m == 0:  # the first reply is delivered (with its transcript row), the rest stay pending
            row = store.outbox.claim(outcome.outbox_ids[0])
            assert row is not None
            store.outbox.mark_sent(row.id, provider_message_id=f"cf-{row.id.hex[:8]}", record_transcript=True,
                                   text=f"Ответ {m}")  # fmt: skip
            counts["messages"] += 1
    assert last is not None
    if c % 3 == 0:
        handover = store.handovers.open(last, "payment")
        counts["handovers"] += 1
        store.outbox.enqueue(OutboxDraft(idempotency_key=f"handover-{handover.id}", channel=Channel.TELEGRAM,
                                         payload={"kind": "topic", "text": "🔔 Нужен менеджер"},
                                         conversation_id=last, origin=OutboxOrigin.SYSTEM))  # fmt: skip
        counts["outbox"] += 1
        customer = store.conversations.get(last).customer_id
        store.topics.bind(customer, -1001000000000 - t, 100 + c)
        store.handovers.attach_thread(handover.id, 100 + c)
        if c % 2 == 0:
            store.handovers.take(handover.id, "Dana")
    if c % 4 == 1:
        booking = store.bookings.create(BookingDraft(conversation_id=last, service="Маникюр",
                                                     datetime_text="завтра 15:00", name="Айгерим",
                                                     phone="+7 701 000 00 00"))  # fmt: skip
        counts["bookings"] += 1
        if c % 8 == 1:
            store.bookings.confirm(booking.id, "Dana")
