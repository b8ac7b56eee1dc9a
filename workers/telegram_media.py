"""A manager's photo, document or voice note in a customer's topic, on its way to WhatsApp.

The desk turns the Telegram message into one ChatFlow outbox row (``kind`` ``media``; idempotency key
``tg-<chat>-<message>`` like a text, so a re-delivered update is never sent twice). The file is
fetched from Telegram (``getFile`` + download) into the media store under an id derived from the
same chat and message, right away when possible and otherwise by the sender before its first
attempt, so a Telegram hiccup delays the message instead of losing it.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.errors import DeliveryError, TelegramRejected
from channels.telegram import Message, TelegramClient
from storage.media import MediaNotFound, MediaTooLarge
from workers.runtime import Runtime
from workers.tenants import TenantRuntime

__all__ = ["ensure_stored", "manager_media", "prefetch"]

log = logging.getLogger("truffles.telegram.media")


def _describe(
    chat_id: int,
    message: Message,
    kind: str,
    content_type: str,
    source: str,
    size: int | None,
    name: str | None,
) -> dict[str, Any]:
    return {"type": kind, "file_id": f"tg{chat_id}-{message.message_id}", "content_type": content_type,
            "telegram_file_id": source, "size": size, "file_name": name}  # fmt: skip


def manager_media(chat_id: int, message: Message) -> dict[str, Any] | None:
    """The ``media`` description of a manager's message (None: no photo, document or voice)."""
    if message.photo:
        big = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return _describe(chat_id, message, "image", "image/jpeg", big.file_id, big.file_size, None)
    if message.document is not None:
        doc = message.document
        kind = doc.mime_type or "application/octet-stream"
        return _describe(chat_id, message, "doc", kind, doc.file_id, doc.file_size, doc.file_name)
    if message.voice is not None:
        voice = message.voice
        kind = voice.mime_type or "audio/ogg"
        return _describe(chat_id, message, "audio", kind, voice.file_id, voice.file_size, None)
    return None


def ensure_stored(rt: Runtime, tenant: TenantRuntime, media: dict[str, Any]) -> None:
    """Make sure the file is in the media store, downloading it from the tenant's bot if needed.

    Raises:
        TelegramError: Telegram failed (transient ones are retried by the outbox).
        ValueError: it can never work (no media store, no desk, over the size cap).
    """
    if rt.media is None:
        raise ValueError("no media store: set the media secret (TRUFFLES_MEDIA_SECRET)")
    store, file_id = rt.media.store, str(media.get("file_id", ""))
    try:
        store.stat(tenant.id, file_id)
        return
    except MediaNotFound:
        pass
    tg = rt.telegram.for_tenant(tenant.id) if rt.telegram is not None else None
    source = media.get("telegram_file_id")
    if rt.telegram is None or tg is None or not isinstance(source, str):
        raise ValueError(f"media {file_id!r} is not stored and has no Telegram source to fetch it from")
    cap = store.max_bytes

    async def fetch(client: TelegramClient) -> bytes:
        found = await client.get_file(source)
        if found.file_size is not None and found.file_size > cap:
            raise TelegramRejected(
                f"file of {found.file_size} bytes is over the {cap}-byte cap", method="getFile"
            )
        if not found.file_path:
            raise TelegramRejected(
                "getFile gave no file_path (file too big for the Bot API?)", method="getFile"
            )
        return await client.download_file(found.file_path, max_bytes=cap)

    data = rt.telegram.gateway.run(tg.token, fetch)
    try:
        store.put(tenant.id, data, str(media.get("content_type") or ""), file_id=file_id,
                  file_name=media.get("file_name") or None)  # fmt: skip
    except MediaTooLarge as exc:
        raise ValueError(str(exc)) from exc


def prefetch(rt: Runtime, tenant: TenantRuntime, media: dict[str, Any]) -> None:
    """Best effort: fetch now; a failure is left to the sender (which retries through the outbox)."""
    try:
        ensure_stored(rt, tenant, media)
    except (DeliveryError, ValueError, OSError) as exc:  # the sender tries again and reports
        log.warning("tenant=%s media %s not fetched yet: %s", tenant.id, media.get("file_id"), exc)
