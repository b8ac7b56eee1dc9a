from __future__ import annotations

import contextlib
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.chatflow.inbound import parse_inbound
from channels.errors import ChannelPayloadError

KEYS = [
    "client_slug",
    "body",
    "metadata",
    "mediaData",
    "messageType",
    "message",
    "text",
    "content",
    "messageId",
    "message_id",
    "id",
    "remoteJid",
    "jid",
    "from",
    "chatId",
    "phone",
    "sender",
    "timestamp",
    "instanceId",
    "fromMe",
    "type",
    "mimetype",
    "url",
    "fileName",
    "caption",
    "ptt",
    "seconds",
    "duration",
    "size",
    "to",
    "nodeData",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["77011234567@s.whatsapp.net", "1@lid", "x@g.us", "demo_salon", "image", "ptt"])
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_parse_inbound_raises_only_channel_payload_error_on_any_json(value: Any) -> None:
    try:
        message = parse_inbound(msgspec.json.encode(value), "demo_salon")
    except ChannelPayloadError as exc:
        assert exc.field
        assert str(exc)
    else:
        assert message.provider_message_id
        assert message.sender_jid.endswith(("@s.whatsapp.net", "@lid"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_parse_inbound_raises_only_channel_payload_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(ChannelPayloadError):
        parse_inbound(data, "demo_salon")
