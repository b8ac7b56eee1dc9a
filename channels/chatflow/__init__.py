"""ChatFlow (WhatsApp gateway): inbound payloads, the outbound client, an emulator, a customer player.

The emulator and the player are imported from their modules (``channels.chatflow.emulator``,
``channels.chatflow.player``); they are test and laptop tools, not production code paths.
"""

from __future__ import annotations

from channels.chatflow.client import DEFAULT_CHATFLOW_BASE_URL, ChatFlowClient, SendResult
from channels.chatflow.inbound import (
    InboundMessage,
    MediaInfo,
    MessageType,
    parse_inbound,
    parse_inbound_object,
)
from channels.chatflow.jid import mask_jid, normalize_jid, phone_of

__all__ = [
    "DEFAULT_CHATFLOW_BASE_URL",
    "ChatFlowClient",
    "InboundMessage",
    "MediaInfo",
    "MessageType",
    "SendResult",
    "mask_jid",
    "normalize_jid",
    "parse_inbound",
    "parse_inbound_object",
    "phone_of",
]
