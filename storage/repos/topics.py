"""Which Telegram forum topic belongs to which customer, both ways."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from storage.errors import NotFound
from storage.models import Customer, TelegramTopic
from storage.repos.base import TenantRepo
from storage.sqlutil import insert_ignore

__all__ = ["TelegramTopics"]


class TelegramTopics(TenantRepo):
    """One tenant's customer <-> (chat, thread) map."""

    def bind(self, customer_id: uuid.UUID, chat_id: int, thread_id: int) -> int:
        """Remember the customer's topic in ``chat_id``; returns the thread id that is stored.

        The first binding wins: if two workers raced to create a topic, both learn the same thread.
        """
        with self._tx("bind telegram topic") as session:
            if session.get(Customer, (self.tenant_id, customer_id)) is None:
                raise NotFound("customer", self.tenant_id, customer_id)
            insert_ignore(
                session,
                TelegramTopic,
                {
                    "tenant_id": self.tenant_id,
                    "customer_id": customer_id,
                    "chat_id": chat_id,
                    "thread_id": thread_id,
                    "created_at": self._now(),
                },
                ["tenant_id", "customer_id", "chat_id"],
            )
            return session.execute(
                select(TelegramTopic.thread_id).where(
                    TelegramTopic.tenant_id == self.tenant_id,
                    TelegramTopic.customer_id == customer_id,
                    TelegramTopic.chat_id == chat_id,
                )
            ).scalar_one()

    def thread_for(self, customer_id: uuid.UUID, chat_id: int) -> int | None:
        with self._tx("find telegram topic") as session:
            return session.execute(
                select(TelegramTopic.thread_id).where(
                    TelegramTopic.tenant_id == self.tenant_id,
                    TelegramTopic.customer_id == customer_id,
                    TelegramTopic.chat_id == chat_id,
                )
            ).scalar_one_or_none()

    def customer_for(self, chat_id: int, thread_id: int) -> uuid.UUID | None:
        """The customer whose topic a manager just wrote in, or ``None``."""
        with self._tx("find customer by telegram topic") as session:
            return session.execute(
                select(TelegramTopic.customer_id).where(
                    TelegramTopic.tenant_id == self.tenant_id,
                    TelegramTopic.chat_id == chat_id,
                    TelegramTopic.thread_id == thread_id,
                )
            ).scalar_one_or_none()

    def rebind(self, customer_id: uuid.UUID, chat_id: int, old_thread_id: int, new_thread_id: int) -> int:
        """Replace a deleted topic: ``old -> new`` unless another worker already replaced it.

        Returns the thread id stored afterwards (the winner's when two workers raced).
        """
        with self._tx("rebind telegram topic") as session:
            session.execute(
                update(TelegramTopic)
                .where(
                    TelegramTopic.tenant_id == self.tenant_id,
                    TelegramTopic.customer_id == customer_id,
                    TelegramTopic.chat_id == chat_id,
                    TelegramTopic.thread_id == old_thread_id,
                )
                .values(thread_id=new_thread_id)
            )
            return session.execute(
                select(TelegramTopic.thread_id).where(
                    TelegramTopic.tenant_id == self.tenant_id,
                    TelegramTopic.customer_id == customer_id,
                    TelegramTopic.chat_id == chat_id,
                )
            ).scalar_one()
