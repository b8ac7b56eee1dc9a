"""Tenant settings: who the business is, when it works, how its channels are wired."""

from __future__ import annotations

from typing import Literal

import msgspec

from config.schema.base import ClockTime, Id, Minutes, NonEmpty, Strict

__all__ = [
    "WEEKDAYS",
    "Channels",
    "ChatFlowChannel",
    "ConversationSettings",
    "DayHours",
    "HandoverSettings",
    "ShieldSettings",
    "TelegramChannel",
    "TenantSettings",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Stage = Literal["normalise", "shield", "opt_out", "human_request", "law", "gates", "intent"]
DEFAULT_STAGES: tuple[Stage, ...] = (
    "normalise",
    "shield",
    "opt_out",
    "human_request",
    "law",
    "gates",
    "intent",
)


class DayHours(Strict, frozen=True, kw_only=True):
    """Opening hours of one weekday (local time); ``closed: true`` for a day off."""

    open: ClockTime | None = None
    close: ClockTime | None = None
    closed: bool = False

    def __post_init__(self) -> None:
        if not self.closed and (self.open is None or self.close is None):
            raise ValueError("a working day needs both `open` and `close` (or `closed: true`)")


class ChatFlowChannel(Strict, frozen=True, kw_only=True):
    """WhatsApp through ChatFlow; secrets are names of environment variables, never values."""

    instance_id: str = ""
    token_env: str = ""
    webhook_secret_env: str = ""
    insecure_demo: bool = False


class TelegramChannel(Strict, frozen=True, kw_only=True):
    """The managers' Telegram forum group and the tenant's own bot."""

    bot_token_env: str = ""
    webhook_secret_env: str = ""
    manager_chat_id: int = 0
    owner_username: str = ""


class Channels(Strict, frozen=True, kw_only=True):
    chatflow: ChatFlowChannel = msgspec.field(default_factory=ChatFlowChannel)
    telegram: TelegramChannel = msgspec.field(default_factory=TelegramChannel)


class ConversationSettings(Strict, frozen=True, kw_only=True):
    """How a conversation behaves across turns."""

    coalesce_seconds: float = 1.0
    clarify_limit: int = 1
    context_turns: int = 3
    booking_turns: int = 6


class ShieldSettings(Strict, frozen=True, kw_only=True):
    """Limits that protect the bot and the managers from floods and abuse."""

    max_chars: int = 1200
    long_message_action: Literal["drop", "escalate"] = "escalate"
    burst_messages: int = 6
    burst_seconds: float = 10.0
    burst_action: Literal["drop", "escalate"] = "drop"
    abuse_action: Literal["drop", "escalate"] = "escalate"
    abuse_terms: list[NonEmpty] = msgspec.field(default_factory=list)


class HandoverSettings(Strict, frozen=True, kw_only=True):
    reminder_minutes: list[Minutes] = msgspec.field(default_factory=lambda: [30, 60])
    expire_minutes: Minutes = 120
    reply_eta: str = ""


class TenantSettings(Strict, frozen=True, kw_only=True):
    """``tenant.yaml``: the identity and operating settings of one business."""

    id: Id
    name: NonEmpty
    trade: NonEmpty
    locale: Literal["ru", "kk", "en"] = "ru"
    languages: list[Literal["ru", "kk", "en"]] = msgspec.field(default_factory=lambda: ["ru"])
    timezone: NonEmpty = "Asia/Almaty"
    hours: dict[str, DayHours]
    stages: list[Stage] = msgspec.field(default_factory=lambda: list(DEFAULT_STAGES))
    conversation: ConversationSettings = msgspec.field(default_factory=ConversationSettings)
    shield: ShieldSettings = msgspec.field(default_factory=ShieldSettings)
    handover: HandoverSettings = msgspec.field(default_factory=HandoverSettings)
    channels: Channels = msgspec.field(default_factory=Channels)
    intent_aliases: dict[NonEmpty, list[Id]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.hours) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday(s) {unknown} in `hours`; use {list(WEEKDAYS)}")
        missing = [d for d in WEEKDAYS if d not in self.hours]
        if missing:
            raise ValueError(
                f"`hours` lacks {missing}; give every weekday (use `closed: true` for a day off)"
            )
