"""ChatFlow inbound webhook payloads: one typed :class:`InboundMessage` and a lenient parser.

ChatFlow's payload shape varies between accounts and versions (see ``shared/reference/channels.md``):
with or without the ``body`` envelope, ids and senders under several names, text under several
names, media under ``mediaData``. :func:`parse_inbound` accepts all of them and rejects anything
else with a :class:`~channels.errors.ChannelPayloadError` naming the field and what was expected.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import msgspec

from channels.chatflow._fields import (
    Layer,
    as_bool,
    as_datetime,
    as_id,
    as_number,
    as_str,
    clean_text,
    find,
    layers_of,
    show,
)
from channels.chatflow.jid import JidError, mask_jid, normalize_jid
from channels.errors import ChannelPayloadError, InboundIgnored

__all__ = ["InboundMessage", "MediaInfo", "MessageType", "parse_inbound", "parse_inbound_object"]

MessageType = Literal["text", "image", "audio", "document", "video", "other"]

ID_KEYS = ("messageId", "message_id", "id")
SENDER_KEYS = ("remoteJid", "jid", "from", "chatId", "phone")
TEXT_KEYS = ("message", "text", "body", "content")
NAME_KEYS = ("sender", "pushName", "push_name", "senderName", "name")
TIMESTAMP_KEYS = ("timestamp", "messageTimestamp")
FROM_ME_KEYS = ("fromMe", "from_me")
MAX_NAME_CHARS = 200
"""A longer push name is cut to this (the storage column's width); the name is cosmetic."""

_TYPE_ALIASES: dict[str, MessageType] = {
    "text": "text", "chat": "text", "conversation": "text", "extendedtextmessage": "text",
    "image": "image", "imagemessage": "image", "photo": "image",
    "audio": "audio", "audiomessage": "audio", "ptt": "audio", "voice": "audio",
    "document": "document", "documentmessage": "document", "doc": "document", "file": "document",
    "video": "video", "videomessage": "video",
}  # fmt: skip
_VOICE_TYPES = frozenset({"ptt", "voice"})


class MediaInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What ChatFlow told us about an attached file (the file itself is fetched from ``url``)."""

    type: MessageType
    mimetype: str | None = None
    url: str | None = None
    file_name: str | None = None
    caption: str | None = None
    size: int | None = None
    seconds: float | None = None
    is_voice: bool = False


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One customer message, whatever shape ChatFlow delivered it in.

    ``sender_jid`` is ``<digits>@s.whatsapp.net`` or ``<digits>@lid``; a media caption is ``text``.
    """

    tenant: str
    provider_message_id: str
    sender_jid: str
    sender_name: str
    text: str
    message_type: MessageType
    media: MediaInfo | None = None
    provider_ts: datetime | None = None
    instance_id: str | None = None

    @property
    def masked_sender(self) -> str:
        """The sender JID, safe for logs."""
        return mask_jid(self.sender_jid)


def parse_inbound(data: bytes, tenant: str) -> InboundMessage:
    """Parse a ChatFlow webhook body.

    Args:
        data: the raw request body.
        tenant: the tenant slug taken from the webhook URL (authoritative).

    Raises:
        InboundIgnored: a valid payload we do not handle (group chat, our own echo).
        ChannelPayloadError: anything malformed; the message names the field and what was expected.
    """
    return parse_inbound_object(_decode(data), tenant)


def _decode(data: bytes) -> object:
    """JSON → Python values, leniently: a broken character costs that character, not the message.

    Bytes that are not UTF-8 become U+FFFD (msgspec raises ``UnicodeDecodeError`` for them, which
    used to escape as a 500). msgspec refuses unpaired surrogate escapes (``"\\ud83d"`` from a cut
    emoji); the standard library accepts them, so such a body is decoded again with it and the broken
    character becomes U+FFFD later (see ``clean_text``). Nesting deeper than the interpreter's
    recursion limit is a 4xx.
    """
    try:
        return _decode_json(data)
    except UnicodeDecodeError:
        return _decode_json(data.decode("utf-8", "replace").encode("utf-8"))


def _decode_json(data: bytes) -> object:
    try:
        try:
            return msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            if "surrogate" not in str(exc):
                raise ChannelPayloadError("$", "a JSON object", f"invalid JSON ({exc})") from exc
            try:
                return json.loads(data)
            except ValueError:
                raise ChannelPayloadError("$", "a JSON object", f"invalid JSON ({exc})") from exc
    except RecursionError:
        raise ChannelPayloadError("$", "a JSON object of ordinary depth", "JSON nested too deeply") from None


def parse_inbound_object(root: object, tenant: str) -> InboundMessage:
    """Like :func:`parse_inbound`, for a payload that is already decoded (e.g. from a form)."""
    if not isinstance(root, dict):
        raise ChannelPayloadError("$", "a JSON object", show(root))
    _check_slug(root, tenant)
    layers = layers_of(root)
    if any(find(layers, (key,), as_bool) for key in FROM_ME_KEYS):
        raise InboundIgnored("fromMe", "the business's own outgoing message echoed back", "true")
    message_id, sender = _message_id(layers), _sender(layers)
    message_type, is_voice = _message_type(layers)
    media = _media(layers, message_type, is_voice)
    if media is not None and message_type == "text":
        if media.type != "other":
            message_type = media.type
        elif media.url is None:
            media = None  # an empty or unrecognisable mediaData on a text message is noise
    text = _text(layers, message_type, media)
    return InboundMessage(
        tenant=tenant,
        provider_message_id=message_id,
        sender_jid=sender,
        sender_name=_sender_name(layers),
        text=text,
        message_type=message_type,
        media=media,
        provider_ts=_timestamp(layers),
        instance_id=find(layers, ("instanceId", "instance_id"), as_id),
    )


def _check_slug(root: dict[str, Any], tenant: str) -> None:
    slug = root.get("client_slug")
    if slug is None:
        return
    if not isinstance(slug, str) or slug != tenant:
        raise ChannelPayloadError(
            "client_slug",
            f"the tenant of this webhook URL ({tenant!r}); check the webhook URL set in ChatFlow",
            show(slug),
        )


def _message_id(layers: list[Layer]) -> str:
    found = find(layers, ID_KEYS, as_id)
    if found is None:
        raise ChannelPayloadError(
            layers[0][0] + "messageId", "a message id under messageId, message_id or id"
        )
    return found


def _sender(layers: list[Layer]) -> str:
    for prefix, obj in layers:
        for key in SENDER_KEYS:
            value = obj.get(key)
            if value is None:
                continue
            path = f"{prefix}{key}"
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                raise ChannelPayloadError(path, "a JID or phone number string", show(value))
            try:
                return normalize_jid(value)
            except JidError as exc:
                shown = repr(mask_jid(value)[:60])
                if exc.is_group:
                    raise InboundIgnored(path, "a group or broadcast chat, not a customer", shown) from None
                raise ChannelPayloadError(path, exc.reason, shown) from None
    raise ChannelPayloadError(
        layers[0][0] + "remoteJid", "the sender under remoteJid, jid, from, chatId or phone"
    )


def _sender_name(layers: list[Layer]) -> str:
    # The push name is cosmetic: a strange value must not cost us the customer's message.
    for _prefix, obj in layers:
        for key in NAME_KEYS:
            value = obj.get(key)
            if isinstance(value, str):
                return clean_text(value).strip()[:MAX_NAME_CHARS]
    return ""


def _message_type(layers: list[Layer]) -> tuple[MessageType, bool]:
    raw = find(layers, ("messageType", "message_type"), as_str)
    if raw is None:
        return "text", False
    key = raw.strip().lower()
    return _TYPE_ALIASES.get(key, "other"), key in _VOICE_TYPES


def _media(layers: list[Layer], message_type: MessageType, is_voice: bool) -> MediaInfo | None:
    found = None
    for prefix, obj in layers:
        value = obj.get("mediaData", obj.get("media_data"))
        if value is not None:
            found = (f"{prefix}mediaData", value)
            break
    if found is None:
        return None
    path, data = found
    if not isinstance(data, dict):
        raise ChannelPayloadError(path, "an object or null", show(data))
    here: list[Layer] = [(f"{path}.", data)]
    raw_type = find(here, ("type",), as_str)
    mimetype = find(here, ("mimetype", "mimeType"), as_str)
    kind = message_type
    if kind in ("text", "other"):
        kind = _TYPE_ALIASES.get((raw_type or "").lower(), "other")
        if kind in ("text", "other") and mimetype:
            kind = _kind_from_mimetype(mimetype)
        if kind == "text":
            kind = "other"
    seconds = find(here, ("seconds", "duration"), as_number)
    size = find(here, ("size", "fileLength", "file_size"), as_number)
    ptt = find(here, ("ptt",), as_bool)
    return MediaInfo(
        type=kind,
        mimetype=mimetype,
        url=find(here, ("url", "mediaUrl"), as_str),
        file_name=find(here, ("fileName", "file_name", "filename"), as_str),
        caption=find(here, ("caption",), as_str),
        size=None if size is None else int(size),
        seconds=seconds,
        is_voice=kind == "audio" and (bool(ptt) or is_voice or (raw_type or "").lower() in _VOICE_TYPES),
    )


def _kind_from_mimetype(mimetype: str) -> MessageType:
    major = mimetype.split("/", 1)[0].lower()
    kinds: dict[str, MessageType] = {"image": "image", "audio": "audio", "video": "video"}
    return kinds.get(major, "document")


def _text(layers: list[Layer], message_type: MessageType, media: MediaInfo | None) -> str:
    text = find(layers, TEXT_KEYS, as_str)
    if text:
        return text
    if media is not None and media.caption:
        return media.caption
    if text is None and message_type == "text":
        body_prefix = next(prefix for prefix, _ in layers if not prefix.endswith("metadata."))
        raise ChannelPayloadError(
            body_prefix + "message", "the message text under message, text, body or content"
        )
    return text or ""


def _timestamp(layers: list[Layer]) -> datetime | None:
    for prefix, obj in layers:
        for key in TIMESTAMP_KEYS:
            value = obj.get(key)
            if value is not None:
                return as_datetime(f"{prefix}{key}", value)
    return None
