"""Play a manager in the emulated Telegram group: write in a topic, press buttons, delete a topic.

    manager = ManagerPlayer(emulator_url, token=bot_token, chat_id=-1001)
    await manager.say(thread_id, "Здравствуйте! Сейчас уточню.")   # -> the desk's webhook
    await manager.press(message_id, data="take:42")
    print(await manager.transcript())

Each action goes through the emulator's control API, which records it in the chat and POSTs the
Update to the webhook the bot registered with ``setWebhook`` (with the secret token header).
"""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec

from channels.telegram.emulator_updates import DeliveredUpdate
from channels.telegram.types import User

__all__ = ["ManagerActionFailed", "ManagerPlayer"]


class ManagerActionFailed(AssertionError):
    """The emulator refused a manager action (unknown topic, no such button, no webhook …)."""


class ManagerPlayer:
    """A manager of one group, acting through one bot's emulated chat.

    Args:
        emulator_url: the emulator's base URL (any URL with ``transport`` for an in-process app).
        token: the bot token (tells the emulator whose webhook receives the updates).
        chat_id: the manager group.
        manager: who the manager is (default: user 1001 "Manager").
        transport: e.g. ``httpx.ASGITransport(app=emulator)``.
    """

    def __init__(
        self,
        emulator_url: str,
        *,
        token: str,
        chat_id: int,
        manager: User | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.chat_id = chat_id
        self.manager = manager
        self._http = httpx.AsyncClient(base_url=emulator_url, transport=transport, timeout=60.0)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def say(self, thread_id: int | None, text: str) -> DeliveredUpdate:
        """Write ``text`` in a topic; returns the update and the webhook's answer."""
        body = {"token": self.token, "chat_id": self.chat_id, "message_thread_id": thread_id, "text": text}
        return await self._act("/_emulator/manager/message", body)

    async def send_media(
        self,
        thread_id: int | None,
        kind: str,
        data: bytes,
        *,
        caption: str = "",
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> DeliveredUpdate:
        """Send a ``photo``, ``document`` or ``voice`` (these bytes) in a topic, with a caption."""
        media = {"kind": kind, "data_base64": base64.b64encode(data).decode("ascii"),
                 "mime_type": mime_type, "file_name": file_name}  # fmt: skip
        body = {"token": self.token, "chat_id": self.chat_id, "message_thread_id": thread_id,
                "text": caption, "media": {k: v for k, v in media.items() if v is not None}}  # fmt: skip
        return await self._act("/_emulator/manager/message", body)

    async def press(
        self, message_id: int, *, data: str | None = None, text: str | None = None
    ) -> DeliveredUpdate:
        """Press the inline button with this ``callback_data`` (or, with ``text``, this label)."""
        body = {
            "token": self.token,
            "chat_id": self.chat_id,
            "message_id": message_id,
            "data": data,
            "text": text,
        }
        return await self._act("/_emulator/manager/press", body)

    async def delete_topic(self, thread_id: int) -> None:
        """Delete a topic, as a manager can in the Telegram app."""
        response = await self._http.delete(f"/_emulator/topics/{self.chat_id}/{thread_id}")
        _check(response)

    async def transcript(self) -> str:
        """The group as the manager sees it, as plain text."""
        response = await self._http.get(f"/_emulator/transcript/{self.chat_id}")
        _check(response)
        return response.text

    async def _act(self, path: str, body: dict[str, Any]) -> DeliveredUpdate:
        if self.manager is not None:
            body["from"] = msgspec.to_builtins(self.manager)
        response = await self._http.post(path, content=msgspec.json.encode(body))
        _check(response)
        return msgspec.json.decode(response.content, type=_Answer).result


class _Answer(msgspec.Struct):
    result: DeliveredUpdate


def _check(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise ManagerActionFailed(f"emulator refused {response.request.url.path}: {response.text}")
