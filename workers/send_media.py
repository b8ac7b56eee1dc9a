"""Deliver a ``media`` outbox row through ChatFlow: a signed URL to our own copy of the file.

The row's payload: ``{"kind": "media", "jid", "caption", "media": {"type": "image"|"doc"|"audio",
"file_id", "content_type", "file_name"?, "telegram_file_id"?}}``. A fresh signed URL is made for
each attempt (``GET /media/{token}`` on the public base URL); ChatFlow requires a caption for
image/doc (a space when empty; the client sees to it), audio has none.
"""

from __future__ import annotations

from typing import Any

from storage import OutboxRecord
from workers.runtime import Runtime
from workers.sender import MEDIA_KINDS, MediaSender
from workers.telegram_media import ensure_stored
from workers.tenants import TenantRuntime

__all__ = ["deliver_media", "is_media_row", "media_of"]


def is_media_row(payload: dict[str, Any]) -> bool:
    """A media row goes on its own queue (``TaskQueue.send_outbox(..., media=True)``)."""
    return payload.get("kind") == "media"


def media_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The row's media description; ValueError when it is missing or unusable."""
    media = payload.get("media")
    if not isinstance(media, dict) or media.get("type") not in MEDIA_KINDS or not media.get("file_id"):
        raise ValueError(f"media row without a usable media description (type in {MEDIA_KINDS}, file_id)")
    return media


def deliver_media(
    rt: Runtime, tenant: TenantRuntime, row: OutboxRecord, token: str, instance: str
) -> str | None:
    """Send one media row; returns ChatFlow's message id (raises like the text path)."""
    media = media_of(row.payload)
    sender = rt.sender
    if not isinstance(sender, MediaSender):
        raise ValueError(f"the configured sender {type(sender).__name__} cannot send media")
    ensure_stored(rt, tenant, media)
    assert rt.media is not None  # ensure_stored refuses without a media store
    url = rt.media.url(tenant.id, str(media["file_id"]))
    caption = str(row.payload.get("caption") or "")
    result = sender.send_media(
        token, instance, str(row.payload["jid"]), str(media["type"]), url, row.idempotency_key, caption
    )
    return result.provider_message_id
