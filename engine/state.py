"""Conversation state carried between turns (serialisable and versioned)."""

from __future__ import annotations

import msgspec

__all__ = ["STATE_SCHEMA", "BookingDraft", "ConversationState"]

STATE_SCHEMA = 1


class BookingDraft(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A booking request being collected. The bot never confirms it: a manager does."""

    service: str = ""
    service_known: bool = True
    day: str = ""
    time: str = ""
    part: str = ""
    when_text: str = ""
    name: str = ""
    phone: str = ""
    urgent: bool = False
    turns_left: int = 0

    def slots(self) -> dict[str, str]:
        out = {"service": self.service, "datetime": self.when_text, "name": self.name, "phone": self.phone}
        return {k: v for k, v in out.items() if v}


class ConversationState(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    schema: int = STATE_SCHEMA
    turn: int = 0
    last_services: tuple[str, ...] = ()
    last_topic: str = ""
    context_ttl: int = 0
    services_ttl: int = 0
    clarify_count: int = 0
    booking: BookingDraft | None = None
    muted: bool = False
    pending_gate: str = ""
    recent: tuple[float, ...] = ()
    recent_texts: tuple[str, ...] = ()
