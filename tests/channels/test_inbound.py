from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from channels.chatflow.inbound import InboundMessage, MediaInfo, parse_inbound, parse_inbound_object
from channels.errors import ChannelPayloadError, InboundIgnored

TENANT = "demo_salon"
JID = "77011234567@s.whatsapp.net"


def envelope(**body: Any) -> dict[str, Any]:
    metadata = {"sender": "Айгерим", "messageId": "3EB0AAA", "remoteJid": JID, "timestamp": 1766582383}
    base: dict[str, Any] = {
        "messageType": "text",
        "message": "Привет",
        "metadata": metadata,
        "mediaData": None,
    }
    base.update(body)
    return {"client_slug": TENANT, "body": base}


def parse(payload: object) -> InboundMessage:
    return parse_inbound(msgspec.json.encode(payload), TENANT)


def error_for(payload: object) -> ChannelPayloadError:
    with pytest.raises(ChannelPayloadError) as info:
        parse(payload)
    return info.value


def test_usual_envelope_is_parsed_into_one_typed_message() -> None:
    message = parse(envelope())
    assert message == InboundMessage(
        tenant=TENANT,
        provider_message_id="3EB0AAA",
        sender_jid=JID,
        sender_name="Айгерим",
        text="Привет",
        message_type="text",
        media=None,
        provider_ts=datetime(2025, 12, 24, 13, 19, 43, tzinfo=UTC),
        instance_id=None,
    )
    assert message.masked_sender == "7701*****67@…"


def test_flat_payload_without_envelope() -> None:
    payload = {
        "messageId": "ID1",
        "remoteJid": JID,
        "message": "hi",
        "to": "77000000000",
        "nodeData": {"x": 1},
    }
    message = parse(payload)
    assert (message.provider_message_id, message.sender_jid, message.text) == ("ID1", JID, "hi")
    assert message.provider_ts is None


def test_flat_payload_with_metadata_and_no_client_slug() -> None:
    payload = {"message": "hi", "metadata": {"message_id": "ID2", "jid": JID, "sender": "A"}}
    assert parse(payload).provider_message_id == "ID2"


@pytest.mark.parametrize("key", ["messageId", "message_id", "id"])
def test_every_message_id_spelling(key: str) -> None:
    assert parse({key: "X-1", "from": JID, "text": "t"}).provider_message_id == "X-1"


def test_integer_message_id_becomes_a_string() -> None:
    assert parse({"id": 42, "from": JID, "text": "t"}).provider_message_id == "42"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("remoteJid", JID, JID),
        ("jid", "77011234567@c.us", JID),
        ("from", "77011234567:12@s.whatsapp.net", JID),
        ("chatId", "123456789012345@lid", "123456789012345@lid"),
        ("phone", "+7 (701) 123-45-67", JID),
        ("phone", 77011234567, JID),
    ],
)
def test_every_sender_spelling_is_normalised(key: str, value: object, expected: str) -> None:
    assert parse({"id": "1", key: value, "text": "t"}).sender_jid == expected


@pytest.mark.parametrize("key", ["message", "text", "body", "content"])
def test_every_text_spelling(key: str) -> None:
    assert parse({"id": "1", "from": JID, key: "Сколько стоит?"}).text == "Сколько стоит?"


def test_image_caption_is_the_text_and_media_is_typed() -> None:
    media = {
        "type": "image",
        "mimetype": "image/jpeg",
        "url": "https://cdn.example/x.jpg",
        "fileName": "x.jpg",
        "caption": "Такой цвет?",
        "base64": "AAAA",
        "size": 2048,
    }
    message = parse(envelope(messageType="image", message="", mediaData=media))
    assert message.message_type == "image"
    assert message.text == "Такой цвет?"
    assert message.media == MediaInfo(
        type="image",
        mimetype="image/jpeg",
        url="https://cdn.example/x.jpg",
        file_name="x.jpg",
        caption="Такой цвет?",
        size=2048,
    )


def test_voice_note_is_audio_with_is_voice_and_duration() -> None:
    media = {"type": "audio", "url": "https://cdn/x.ogg", "ptt": True, "duration": "7"}
    message = parse(envelope(messageType="audio", message=None, mediaData=media))
    assert message.message_type == "audio"
    assert message.text == ""
    assert message.media is not None
    assert (message.media.is_voice, message.media.seconds) == (True, 7.0)


def test_media_type_is_inferred_when_message_type_is_missing() -> None:
    payload = {"id": "1", "from": JID, "mediaData": {"mimetype": "application/pdf", "url": "https://x/a.pdf"}}
    message = parse(payload)
    assert message.message_type == "document"


def test_video_and_unknown_types() -> None:
    video = parse(envelope(messageType="videoMessage", mediaData={"url": "https://x/v.mp4"}))
    sticker = parse(envelope(messageType="sticker"))
    assert (video.message_type, sticker.message_type) == ("video", "other")


def test_millisecond_and_iso_timestamps() -> None:
    ms = parse({"id": "1", "from": JID, "text": "t", "timestamp": 1766582383000})
    iso = parse({"id": "1", "from": JID, "text": "t", "timestamp": "2025-12-24T13:19:43+00:00"})
    assert ms.provider_ts == iso.provider_ts == datetime(2025, 12, 24, 13, 19, 43, tzinfo=UTC)


def test_instance_id_is_kept() -> None:
    payload = envelope()
    payload["body"]["metadata"]["instanceId"] = "inst-7"
    assert parse(payload).instance_id == "inst-7"


def test_strange_push_name_does_not_cost_the_message() -> None:
    payload = envelope()
    payload["body"]["metadata"]["sender"] = {"weird": True}
    assert parse(payload).sender_name == ""


# --- bad input: a ChannelPayloadError naming the field and what was expected ---


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (b"", "$", "invalid JSON"),
        (b"{not json", "$", "invalid JSON"),
        (b"\xff\xfe", "$", "invalid JSON"),
        (b"[1, 2]", "$", "list"),
        (b'"text"', "$", "str"),
        (b"null", "$", "null"),
    ],
)
def test_non_objects_are_rejected(data: bytes, field: str, fragment: str) -> None:
    with pytest.raises(ChannelPayloadError) as info:
        parse_inbound(data, TENANT)
    assert info.value.field == field
    assert info.value.expected == "a JSON object"
    assert fragment in str(info.value)


def test_missing_message_id_names_the_field_and_the_accepted_spellings() -> None:
    payload = envelope()
    del payload["body"]["metadata"]["messageId"]
    error = error_for(payload)
    assert error.field == "body.metadata.messageId"
    assert error.got is None
    assert "messageId, message_id or id" in str(error)


@pytest.mark.parametrize("bad", [True, 1.5, "", "   ", [], {}])
def test_bad_message_id(bad: object) -> None:
    error = error_for({"id": bad, "from": JID, "text": "t"})
    assert error.field == "id"
    assert "non-empty string or integer" in error.expected


def test_missing_sender() -> None:
    error = error_for({"id": "1", "text": "t"})
    assert error.field == "remoteJid"
    assert "remoteJid, jid, from, chatId or phone" in str(error)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("hello", "digits"),
        ("123", "7–15 digits"),
        ("7701@example.com", "@s.whatsapp.net"),
        ("abc@lid", "<digits>@lid"),
        (["77011234567"], "string"),
    ],
)
def test_bad_sender(value: object, fragment: str) -> None:
    error = error_for({"id": "1", "remoteJid": value, "text": "t"})
    assert error.field == "remoteJid"
    assert fragment in error.expected


def test_bad_sender_error_masks_the_number() -> None:
    error = error_for({"id": "1", "remoteJid": "77011234567@example.com", "text": "t"})
    assert "77011234567" not in str(error)


@pytest.mark.parametrize("jid", ["120363025246125486@g.us", "status@broadcast"])
def test_group_and_broadcast_are_ignored_not_failed(jid: str) -> None:
    with pytest.raises(InboundIgnored) as info:
        parse({"id": "1", "remoteJid": jid, "text": "t"})
    assert "group or broadcast" in info.value.reason


def test_own_echo_is_ignored() -> None:
    with pytest.raises(InboundIgnored, match="own outgoing"):
        parse({"id": "1", "remoteJid": JID, "text": "t", "fromMe": True})


def test_text_message_without_text() -> None:
    error = error_for({"id": "1", "remoteJid": JID})
    assert error.field == "message"
    assert "message, text, body or content" in error.expected
    enveloped = envelope()
    del enveloped["body"]["message"]
    assert error_for(enveloped).field == "body.message"


def test_text_of_wrong_type() -> None:
    error = error_for(envelope(message=["hi"]))
    assert (error.field, error.expected) == ("body.message", "a string")
    assert "list" in str(error.got)


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"metadata": "x"}, "body.metadata", "an object"),
        ({"mediaData": "x"}, "body.mediaData", "an object or null"),
        ({"mediaData": {"url": 5}}, "body.mediaData.url", "a string"),
        ({"mediaData": {"ptt": "yes"}}, "body.mediaData.ptt", "true or false"),
        ({"mediaData": {"seconds": -1}}, "body.mediaData.seconds", "a non-negative number"),
        ({"mediaData": {"size": "big"}}, "body.mediaData.size", "a number"),
        ({"messageType": 3}, "body.messageType", "a string"),
    ],
)
def test_wrong_types_inside_the_envelope(change: dict[str, Any], field: str, expected: str) -> None:
    error = error_for(envelope(**change))
    assert (error.field, error.expected) == (field, expected)


@pytest.mark.parametrize("value", ["yesterday", -5, 1e20, True])
def test_bad_timestamp(value: object) -> None:
    payload = envelope()
    payload["body"]["metadata"]["timestamp"] = value
    error = error_for(payload)
    assert error.field == "body.metadata.timestamp"


def test_client_slug_of_another_tenant_is_refused() -> None:
    payload = envelope()
    payload["client_slug"] = "other_salon"
    error = error_for(payload)
    assert error.field == "client_slug"
    assert "demo_salon" in error.expected
    assert "other_salon" in str(error.got)


def test_parse_inbound_object_accepts_decoded_payloads() -> None:
    assert parse_inbound_object(envelope(), TENANT).text == "Привет"


def test_empty_media_data_on_a_text_message_is_noise() -> None:
    message = parse(envelope(mediaData={}))
    assert (message.message_type, message.media, message.text) == ("text", None, "Привет")


def test_unrecognisable_media_with_a_url_is_kept_on_a_text_message() -> None:
    message = parse(envelope(mediaData={"type": "text", "url": "https://x/blob"}))
    assert message.message_type == "text"
    assert message.media == MediaInfo(type="other", url="https://x/blob")


def test_sticker_without_text_is_other_with_empty_text() -> None:
    message = parse(
        envelope(messageType="stickerMessage", message=None, mediaData={"url": "https://x/s.webp"})
    )
    assert (message.message_type, message.text) == ("other", "")
