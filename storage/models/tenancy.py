"""Tenants and who talks to them: customers, their conversations and their Telegram topics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.coltypes import Bytes, Json, utcnow
from storage.enums import Owner
from storage.models.base import TENANT_ID_LENGTH, Base, TenantScoped, enum_column, new_id

__all__ = ["Conversation", "Customer", "TelegramTopic", "Tenant"]


class Tenant(Base):
    """A business. Secrets are referenced by env var name (``secret_refs``), never stored."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(TENANT_ID_LENGTH), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    secret_refs: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    chatflow_instance_id: Mapped[str | None] = mapped_column(String(128))
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    insecure_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(TenantScoped, Base):
    """A WhatsApp contact of one tenant, identified by its JID."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "jid"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    jid: Mapped[str] = mapped_column(String(128))
    push_name: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(TenantScoped, Base):
    """The one long-lived conversation of a customer: engine state and who owns the reply."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        Index(None, "tenant_id", "last_activity_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID]
    state: Mapped[bytes | None] = mapped_column(Bytes)
    state_version: Mapped[int] = mapped_column(default=0)
    owner: Mapped[Owner] = mapped_column(enum_column(Owner, "owner"), default=Owner.BOT)
    owner_version: Mapped[int] = mapped_column(default=0)
    muted: Mapped[bool] = mapped_column(default=False)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelegramTopic(TenantScoped, Base):
    """The forum topic (thread) of a customer in the tenant's manager group."""

    __tablename__ = "telegram_topics"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("tenant_id", "chat_id", "thread_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
