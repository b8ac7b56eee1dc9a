"""Play a WhatsApp customer: build realistic ChatFlow webhook bodies and POST them to Truffles.

customer = CustomerPlayer(webhook_url, secret, tenant="demo_salon", phone="77011234567")
sent = await customer.say("Сколько стоит маникюр?")
await customer.redeliver(sent)  # ChatFlow re-delivers when it gets no quick 2xx
"""

from __future__ import annotations

import time
import uuid
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec

from channels.chatflow.jid import USER_SUFFIX

__all__ = ["SECRET_HEADER", "CustomerPlayer", "Sent", "build_inbound_payload", "new_message_id"]

SECRET_HEADER = "X-Webhook-Secret"
SECRET_QUERY = "webhook_secret"


def new_message_id() -> str:
    """A WhatsApp-looking message id (``3EB0`` + 16 hex digits)."""
    return "3EB0" + uuid.uuid4().hex[:16].upper()


def build_inbound_payload(
    tenant: str,
    text: str,
    *,
    phone: str,
    push_name: str = "",
    message_id: str | None = None,
    timestamp: int | None = None,
    message_type: str = "text",
    media: dict[str, Any] | None = None,
    instance_id: str | None = None,
) -> dict[str, Any]:
    """A webhook body in ChatFlow's usual envelope shape (``client_slug`` + ``body``).

    ``phone`` may be bare digits or a full JID; ``media`` is ChatFlow's ``mediaData`` object.
    """
    jid = phone if "@" in phone else phone.lstrip("+") + USER_SUFFIX
    metadata: dict[str, Any] = {
        "sender": push_name,
        "messageId": message_id or new_message_id(),
        "remoteJid": jid,
        "timestamp": int(time.time()) if timestamp is None else timestamp,
    }
    if instance_id is not None:
        metadata["instanceId"] = instance_id
    return {
        "client_slug": tenant,
        "body": {"messageType": message_type, "message": text, "metadata": metadata, "mediaData": media},
    }


class Sent(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook POST the player made, and how Truffles answered it."""

    message_id: str
    payload: dict[str, Any]
    status: int
    body: str


class CustomerPlayer:
    """One customer writing to one tenant's webhook.

    Args:
        webhook_url: e.g. ``http://127.0.0.1:8000/webhooks/chatflow/demo_salon``.
        secret: the tenant's webhook secret, sent as ``X-Webhook-Secret`` (or as the
            ``webhook_secret`` query parameter with ``secret_in_query=True``).
        transport: an httpx transport, e.g. ``httpx.ASGITransport(app=api_app)`` to stay in-process.
    """

    def __init__(
        self,
        webhook_url: str,
        secret: str,
        *,
        tenant: str,
        phone: str,
        push_name: str = "Клиент",
        instance_id: str | None = None,
        secret_in_query: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.webhook_url = webhook_url
        self.tenant = tenant
        self.phone = phone
        self.push_name = push_name
        self.instance_id = instance_id
        self._secret = secret
        self._secret_in_query = secret_in_query
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def say(self, text: str, *, message_id: str | None = None) -> Sent:
        """Send a text message."""
        return await self.post(self._payload(text, "text", None, message_id))

    async def send_image(self, url: str, caption: str = "", *, mimetype: str = "image/jpeg") -> Sent:
        """Send a photo (its caption is the message text)."""
        media = {"type": "image", "mimetype": mimetype, "url": url, "caption": caption or None}
        return await self.post(self._payload(caption, "image", media, None))

    async def send_voice(self, url: str, seconds: int = 5) -> Sent:
        """Send a voice note (``ptt``)."""
        media = {
            "type": "audio",
            "mimetype": "audio/ogg; codecs=opus",
            "url": url,
            "ptt": True,
            "seconds": seconds,
        }
        return await self.post(self._payload("", "audio", media, None))

    async def send_document(self, url: str, file_name: str, caption: str = "") -> Sent:
        """Send a document."""
        media = {"type": "document", "mimetype": "application/pdf", "url": url, "fileName": file_name}
        if caption:
            media["caption"] = caption
        return await self.post(self._payload(caption, "document", media, None))

    async def send_video(self, url: str, caption: str = "") -> Sent:
        """Send a video (Truffles is expected to refuse videos politely)."""
        media = {"type": "video", "mimetype": "video/mp4", "url": url, "caption": caption or None}
        return await self.post(self._payload(caption, "video", media, None))

    async def redeliver(self, sent: Sent) -> Sent:
        """POST exactly the same body again, as ChatFlow does when it got no quick 2xx."""
        return await self.post(sent.payload)

    async def post(self, payload: dict[str, Any]) -> Sent:
        """POST any body (also a hand-made malformed one) with the secret; returns the answer."""
        params = {SECRET_QUERY: self._secret} if self._secret_in_query else {}
        headers = {} if self._secret_in_query else {SECRET_HEADER: self._secret}
        response = await self._http.post(self.webhook_url, json=payload, params=params, headers=headers)
        metadata = (
            payload.get("body", {}).get("metadata", {}) if isinstance(payload.get("body"), dict) else {}
        )
        return Sent(
            message_id=str(metadata.get("messageId", "")),
            payload=payload,
            status=response.status_code,
            body=response.text,
        )

    def _payload(
        self, text: str, kind: str, media: dict[str, Any] | None, message_id: str | None
    ) -> dict[str, Any]:
        return build_inbound_payload(
            self.tenant,
            text,
            phone=self.phone,
            push_name=self.push_name,
            message_id=message_id,
            message_type=kind,
            media=media,
            instance_id=self.instance_id,
        )
