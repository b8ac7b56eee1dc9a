"""The Bot API view of a message stored in the Telegram emulator, media fields included."""

from __future__ import annotations

import msgspec

from channels.telegram.emulator_state import ChatState, StoredMessage
from channels.telegram.types import Document, ForumTopicCreated, Message, PhotoSize, Voice

__all__ = ["render_message"]


def render_message(chat: ChatState, stored: StoredMessage) -> Message:
    """The full Bot API view of a stored message, media included."""
    message = chat.to_message(stored)
    ref, unique = stored.media_ref or "", f"u{stored.message_id}"
    file = stored.media_file
    size = len(file.data) if file is not None else None
    if stored.media_kind == "photo":
        photo = PhotoSize(file_id=ref, file_unique_id=unique, width=1280, height=960, file_size=size)
        return msgspec.structs.replace(message, photo=[photo])
    if stored.media_kind == "document":
        name = (file.file_name if file is not None else None) or ref.rsplit("/", 1)[-1] or "file"
        mime = file.mime_type if file is not None else None
        doc = Document(file_id=ref, file_unique_id=unique, file_name=name, mime_type=mime, file_size=size)
        return msgspec.structs.replace(message, document=doc)
    if stored.media_kind == "voice":
        mime = file.mime_type if file is not None else None
        voice = Voice(file_id=ref, file_unique_id=unique, duration=1, mime_type=mime, file_size=size)
        return msgspec.structs.replace(message, voice=voice)
    if stored.service == "forum_topic_created":
        topic = chat.topics[stored.message_id]
        created = ForumTopicCreated(name=topic.name, icon_color=topic.icon_color)
        return msgspec.structs.replace(message, forum_topic_created=created)
    return message
