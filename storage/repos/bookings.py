"""Booking requests collected by the bot, for managers to take, confirm or decline."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.enums import BookingStatus
from storage.errors import NotFound
from storage.models import BookingRequest
from storage.records import BookingDraft, BookingRecord
from storage.repos.base import TenantRepo
from storage.repos.convert import booking_record
from storage.repos.ownership import load_conversation
from storage.transitions import BOOKING_TRANSITIONS, check_transition

__all__ = ["Bookings"]


class Bookings(TenantRepo):
    """One tenant's booking requests."""

    def create(self, draft: BookingDraft) -> BookingRecord:
        now = self._now()
        with self._tx("create booking request") as session:
            load_conversation(session, self.tenant_id, draft.conversation_id)
            row = BookingRequest(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                conversation_id=draft.conversation_id,
                service=draft.service,
                datetime_text=draft.datetime_text,
                name=draft.name,
                phone=draft.phone,
                status=BookingStatus.NEW,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return booking_record(row)

    def get(self, booking_id: uuid.UUID) -> BookingRecord:
        with self._tx("get booking request") as session:
            return booking_record(self._load(session, booking_id))

    def list(
        self,
        *,
        status: BookingStatus | None = None,
        conversation_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[BookingRecord]:
        """Requests, newest first, optionally filtered by status and conversation."""
        with self._tx("list booking requests") as session:
            stmt = select(BookingRequest).where(BookingRequest.tenant_id == self.tenant_id)
            if status is not None:
                stmt = stmt.where(BookingRequest.status == status)
            if conversation_id is not None:
                stmt = stmt.where(BookingRequest.conversation_id == conversation_id)
            rows = session.scalars(stmt.order_by(BookingRequest.created_at.desc()).limit(limit)).all()
            return [booking_record(r) for r in rows]

    def take(self, booking_id: uuid.UUID, manager: str) -> BookingRecord:
        return self.transition(booking_id, BookingStatus.TAKEN, by=manager)

    def confirm(self, booking_id: uuid.UUID, manager: str | None = None) -> BookingRecord:
        return self.transition(booking_id, BookingStatus.CONFIRMED, by=manager)

    def decline(self, booking_id: uuid.UUID, manager: str | None = None) -> BookingRecord:
        return self.transition(booking_id, BookingStatus.DECLINED, by=manager)

    def transition(
        self, booking_id: uuid.UUID, target: BookingStatus, *, by: str | None = None
    ) -> BookingRecord:
        """Move to ``target``; raises :class:`~storage.errors.IllegalTransition` naming from/to."""
        with self._tx(f"move booking request to {target}") as session:
            row = self._load(session, booking_id, lock=True)
            check_transition(BOOKING_TRANSITIONS, "booking request", booking_id, row.status, target)
            row.status = target
            row.updated_at = self._now()
            if by is not None:
                row.handled_by = by
            session.flush()
            return booking_record(row)

    def _load(self, session: Session, booking_id: uuid.UUID, *, lock: bool = False) -> BookingRequest:
        row = session.get(BookingRequest, (self.tenant_id, booking_id), with_for_update=lock)
        if row is None:
            raise NotFound("booking request", self.tenant_id, booking_id)
        return row
