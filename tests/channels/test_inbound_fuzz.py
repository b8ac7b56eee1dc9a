from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.chatflow._fields import MAX_ID_CHARS, clean_text
from channels.chatflow.inbound import MAX_NAME_CHARS, parse_inbound
from channels.errors import ChannelPayloadError
from channels.telegram import parse_update

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


@settings(max_examples=400, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(json_values)
def test_parse_inbound_raises_only_channel_payload_error_on_any_json(value: Any) -> None:
    try:
        message = parse_inbound(msgspec.json.encode(value), "demo_salon")
    except ChannelPayloadError as exc:
        assert exc.field
        assert str(exc)
    else:
        assert message.provider_message_id and len(message.provider_message_id) <= MAX_ID_CHARS
        assert message.sender_jid.endswith(("@s.whatsapp.net", "@lid"))
        assert "\x00" not in message.text + message.sender_name


@settings(max_examples=200, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(st.binary(max_size=64))
def test_parse_inbound_raises_only_channel_payload_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(ChannelPayloadError):
        parse_inbound(data, "demo_salon")


# --- text that no store accepts as is, nesting, oversized ids (issue 9, bad input) -------------------

ANY_CHARS = st.characters(codec=None)  # every code point, lone surrogates included
"""Hypothesis' default text() leaves out surrogates; ChatFlow can send a cut emoji as "\\ud83d"."""


def _stored_as_is(value: str) -> bool:
    """What PostgreSQL and SQLite both take: no NUL and encodable as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _payload(text: str, name: str, message_id: str = "3EB0AA") -> bytes:
    body = {"message": text, "metadata": {"messageId": message_id, "remoteJid": "77011234567@s.whatsapp.net",
                                          "sender": name}}  # fmt: skip
    # The standard library escapes lone surrogates ("\ud800") as ChatFlow's serialiser would.
    return json.dumps({"client_slug": "demo_salon", "body": body}).encode()


@settings(max_examples=300, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(st.text(ANY_CHARS, max_size=40), st.text(ANY_CHARS, max_size=40))
def test_any_text_and_name_are_kept_and_made_storable(text: str, name: str) -> None:
    try:
        message = parse_inbound(_payload(text, name), "demo_salon")
    except ChannelPayloadError as exc:  # only a text message with no text at all may be refused
        assert exc.field == "body.message" and text == ""
        return
    assert _stored_as_is(message.text) and _stored_as_is(message.sender_name)
    assert message.text == clean_text(text)
    assert message.sender_name == clean_text(name).strip()
    if _stored_as_is(text):  # nothing to clean: nothing changed
        assert message.text == text


def test_nul_is_stripped_and_a_cut_emoji_becomes_a_replacement_character() -> None:
    message = parse_inbound(_payload("Сколько\x00 стоит? \ud83d", "Ай\x00гүл \udc00"), "demo_salon")
    assert message.text == "Сколько стоит? \ufffd"
    assert message.sender_name == "Айгүл \ufffd"
    paired = parse_inbound(_payload("👍🏽 \ud83d\ude00", "x"), "demo_salon")
    assert paired.text == "👍🏽 😀"  # a complete surrogate pair is the emoji it encodes


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    body = _payload("café", "Zoé").replace(b"\\u00e9", b"\xe9")  # a Latin-1 byte inside the JSON
    message = parse_inbound(body, "demo_salon")
    assert (message.text, message.sender_name) == ("caf\ufffd", "Zo\ufffd")


def test_a_long_push_name_is_cut_and_a_long_message_id_is_refused() -> None:
    assert len(parse_inbound(_payload("hi", "я" * 5000), "demo_salon").sender_name) == MAX_NAME_CHARS
    assert parse_inbound(_payload("hi", "x", "A" * MAX_ID_CHARS), "demo_salon").provider_message_id
    with pytest.raises(ChannelPayloadError, match="at most 200 characters") as caught:
        parse_inbound(_payload("hi", "x", "A" * (MAX_ID_CHARS + 1)), "demo_salon")
    assert caught.value.field == "body.metadata.messageId"


@settings(max_examples=30, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(st.integers(min_value=1, max_value=60_000), st.sampled_from(["[", '{"a":', '{"body":{"message":']))
def test_deep_nesting_is_a_payload_error_not_a_crash(depth: int, opener: str) -> None:
    closer = {"[": "]", '{"a":': "}", '{"body":{"message":': "}}"}[opener]
    data = (opener * depth + "1" + closer * depth).encode()
    with contextlib.suppress(ChannelPayloadError):
        parse_inbound(data, "demo_salon")
    with contextlib.suppress(ChannelPayloadError):
        parse_update(b'{"update_id": 1, "x": ' + data + b"}")


@settings(max_examples=100, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(json_values)
def test_parse_update_raises_only_channel_payload_error_on_any_json(value: Any) -> None:
    with contextlib.suppress(ChannelPayloadError):
        parse_update(msgspec.json.encode(value))


@settings(max_examples=100, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(st.binary(max_size=64))
def test_parse_update_raises_only_channel_payload_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(ChannelPayloadError):
        parse_update(data)


VALID_BODY = _payload("Сколько стоит маникюр? 💅🏽", "Айгүл")


@settings(max_examples=300, deadline=timedelta(seconds=2), derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID_BODY)), st.binary(min_size=1, max_size=4)), max_size=4))
def test_a_valid_body_with_bytes_spliced_in_raises_only_channel_payload_error(
    splices: list[tuple[int, bytes]],
) -> None:
    data = VALID_BODY
    for at, chunk in sorted(splices, reverse=True):
        data = data[:at] + chunk + data[at:]
    with contextlib.suppress(ChannelPayloadError):
        message = parse_inbound(data, "demo_salon")
        assert _stored_as_is(message.text) and _stored_as_is(message.sender_name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\x00b", "ab"), ("\x00\x00", ""), ("a\\u0000b", "a\\u0000b"), ("\\\x00", "\\")],
    ids=["nul", "two nuls", "an escaped backslash before u0000 is text", "backslash then nul"],
)
def test_a_telegram_update_loses_its_nul_characters_and_nothing_else(text: str, expected: str) -> None:
    manager = {"id": 2, "is_bot": False, "first_name": "Да\x00на"}
    chat = {"id": 1, "type": "private"}
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 1, "chat": chat, "text": text, "from": manager},
    }
    message = parse_update(json.dumps(update).encode()).message
    assert message is not None and message.text == expected
    assert message.from_ is not None and message.from_.first_name == "Дана"
