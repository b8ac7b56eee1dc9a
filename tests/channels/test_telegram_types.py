from __future__ import annotations

import msgspec
import pytest

from channels.errors import ChannelPayloadError
from channels.telegram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, parse_update

MESSAGE_UPDATE = b"""{"update_id": 10, "message": {"message_id": 7, "date": 1766582383,
  "chat": {"id": -1001, "type": "supergroup", "title": "Mira", "is_forum": true, "brand_new_field": 1},
  "from": {"id": 5, "is_bot": false, "first_name": "Dana", "is_premium": true},
  "message_thread_id": 3, "is_topic_message": true, "text": "Hello", "entities": []}}"""

CALLBACK_UPDATE = b"""{"update_id": 11, "callback_query": {"id": "4382", "chat_instance": "-88",
  "from": {"id": 5, "is_bot": false, "first_name": "Dana"}, "data": "take:42",
  "message": {"message_id": 8, "date": 1, "chat": {"id": -1001, "type": "supergroup"},
    "reply_markup": {"inline_keyboard": [[{"text": "Take", "callback_data": "take:42"}]]}}}}"""


def test_message_update_ignores_unknown_keys() -> None:
    update = parse_update(MESSAGE_UPDATE)
    assert update.message is not None
    assert (update.message.chat.id, update.message.message_thread_id, update.message.text) == (
        -1001,
        3,
        "Hello",
    )
    assert update.message.from_ is not None
    assert update.message.from_.full_name == "Dana"


def test_callback_update() -> None:
    update = parse_update(CALLBACK_UPDATE)
    assert update.callback_query is not None
    assert update.callback_query.data == "take:42"
    assert update.callback_query.message is not None
    markup = update.callback_query.message.reply_markup
    assert markup is not None
    assert [b.callback_data for b in markup.buttons()] == ["take:42"]


def test_wrong_type_is_an_error_naming_the_json_path() -> None:
    with pytest.raises(ChannelPayloadError) as info:
        parse_update(MESSAGE_UPDATE.replace(b'"id": -1001', b'"id": "-1001"'))
    assert info.value.field == "$.message.chat.id"
    assert "Expected `int`, got `str`" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"[]", b'{"message": {}}'])
def test_not_an_update(data: bytes) -> None:
    with pytest.raises(ChannelPayloadError):
        parse_update(data)


def test_encoding_uses_from_and_omits_none() -> None:
    message = msgspec.json.decode(MESSAGE_UPDATE, type=dict)["message"]
    encoded = msgspec.json.decode(msgspec.json.encode(msgspec.convert(message, Message)))
    assert encoded["from"]["first_name"] == "Dana"
    assert "caption" not in encoded
    assert "from_" not in encoded


def test_callback_data_longer_than_64_bytes_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="put an id in it"):
        InlineKeyboardButton(text="Взять", callback_data="я" * 33)
    InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="x" * 64)]])
