"""Initial schema: every table of Truffles (tenants, customers, conversations, messages,
inbound_dedup, outbox, handovers, telegram_topics, booking_requests, daily_metrics).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:24:52.302859
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Plain SQLAlchemy types only: a migration must not import today's model code.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BYTES = sa.LargeBinary().with_variant(postgresql.BYTEA(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("secret_refs", JSON, nullable=False),
        sa.Column("chatflow_instance_id", sa.String(length=128), nullable=True),
        sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("insecure_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_index(op.f("ix_tenants_telegram_chat_id"), "tenants", ["telegram_chat_id"], unique=False)
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("jid", sa.String(length=128), nullable=False),
        sa.Column("push_name", sa.String(length=200), nullable=True),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
        sa.UniqueConstraint("tenant_id", "jid", name=op.f("uq_customers_tenant_id_jid")),
    )
    op.create_table(
        "daily_metrics",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("counters", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_daily_metrics_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_daily_metrics")),
    )
    op.create_table(
        "inbound_dedup",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_inbound_dedup_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "provider_message_id", name=op.f("pk_inbound_dedup")),
    )
    op.create_table(
        "conversations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("state", BYTES, nullable=True),
        sa.Column("state_version", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("owner_version", sa.Integer(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("last_activity_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_conversations_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_conversations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("owner IN ('bot', 'pending', 'manager')", name=op.f("ck_conversations_owner")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("tenant_id", "customer_id", name=op.f("uq_conversations_tenant_id_customer_id")),
    )
    op.create_index(
        op.f("ix_conversations_tenant_id_last_activity_at"),
        "conversations",
        ["tenant_id", "last_activity_at"],
        unique=False,
    )
    op.create_table(
        "telegram_topics",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name=op.f("fk_telegram_topics_tenant_id_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_telegram_topics_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "customer_id", "chat_id", name=op.f("pk_telegram_topics")),
        sa.UniqueConstraint(
            "tenant_id", "chat_id", "thread_id", name=op.f("uq_telegram_topics_tenant_id_chat_id_thread_id")
        ),
    )
    op.create_table(
        "booking_requests",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("datetime_text", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handled_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name=op.f("fk_booking_requests_tenant_id_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_booking_requests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('new', 'taken', 'confirmed', 'declined')", name=op.f("ck_booking_requests_status")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_booking_requests")),
    )
    op.create_index(
        op.f("ix_booking_requests_tenant_id_conversation_id"),
        "booking_requests",
        ["tenant_id", "conversation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_booking_requests_tenant_id_status_created_at"),
        "booking_requests",
        ["tenant_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "handovers",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("telegram_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("taken_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("taken_at", TIMESTAMP, nullable=True),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name=op.f("fk_handovers_tenant_id_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_handovers_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'resolved', 'returned_to_bot', 'expired')",
            name=op.f("ck_handovers_status"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_handovers")),
    )
    op.create_index(
        op.f("ix_handovers_tenant_id_conversation_id_status"),
        "handovers",
        ["tenant_id", "conversation_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_handovers_tenant_id_status_created_at"),
        "handovers",
        ["tenant_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media", JSON, nullable=True),
        sa.Column("decision", JSON, nullable=True),
        sa.Column("trace", JSON, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("processed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name=op.f("fk_messages_tenant_id_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_messages_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_messages_direction")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_messages")),
    )
    op.create_index(
        op.f("ix_messages_tenant_id_conversation_id_received_at"),
        "messages",
        ["tenant_id", "conversation_id", "received_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_messages_tenant_id_processed_received_at"),
        "messages",
        ["tenant_id", "processed", "received_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_messages_tenant_id_provider_message_id"),
        "messages",
        ["tenant_id", "provider_message_id"],
        unique=False,
    )
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("owner_version", sa.Integer(), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("send_started_at", TIMESTAMP, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name=op.f("fk_outbox_tenant_id_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_outbox_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.CheckConstraint("channel IN ('chatflow', 'telegram')", name=op.f("ck_outbox_channel")),
        sa.CheckConstraint("origin IN ('bot', 'manager', 'system')", name=op.f("ck_outbox_origin")),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')", name=op.f("ck_outbox_status")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f("uq_outbox_tenant_id_idempotency_key")),
    )
    op.create_index(
        op.f("ix_outbox_tenant_id_conversation_id_created_at"),
        "outbox",
        ["tenant_id", "conversation_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outbox_tenant_id_status_next_attempt_at"),
        "outbox",
        ["tenant_id", "status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_tenant_id_status_next_attempt_at"), "outbox")
    op.drop_index(op.f("ix_outbox_tenant_id_conversation_id_created_at"), "outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_messages_tenant_id_provider_message_id"), "messages")
    op.drop_index(op.f("ix_messages_tenant_id_processed_received_at"), "messages")
    op.drop_index(op.f("ix_messages_tenant_id_conversation_id_received_at"), "messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_handovers_tenant_id_status_created_at"), "handovers")
    op.drop_index(op.f("ix_handovers_tenant_id_conversation_id_status"), "handovers")
    op.drop_table("handovers")
    op.drop_index(op.f("ix_booking_requests_tenant_id_status_created_at"), "booking_requests")
    op.drop_index(op.f("ix_booking_requests_tenant_id_conversation_id"), "booking_requests")
    op.drop_table("booking_requests")
    op.drop_table("telegram_topics")
    op.drop_index(op.f("ix_conversations_tenant_id_last_activity_at"), "conversations")
    op.drop_table("conversations")
    op.drop_table("inbound_dedup")
    op.drop_table("daily_metrics")
    op.drop_table("customers")
    op.drop_index(op.f("ix_tenants_telegram_chat_id"), "tenants")
    op.drop_table("tenants")
