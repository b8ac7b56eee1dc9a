"""Files in the Telegram emulator: what a manager uploads, ``getFile`` and the download route.

Like the real Bot API, a ``file_id`` is only valid for the bot that received it, ``getFile`` answers
a ``file_path`` and the bytes are served at ``GET /file/bot<token>/<file_path>``.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any, Literal

import msgspec

from channels._asgi import Response
from channels.telegram.emulator_state import BotApiError, BotState, StoredFile, TelegramWorld
from channels.telegram.types import File

__all__ = ["MediaKind", "Upload", "file_download", "get_file", "upload"]

MediaKind = Literal["photo", "document", "voice"]
_FOLDER = {"photo": ("photos", "jpg"), "document": ("documents", "bin"), "voice": ("voice", "oga")}
_DEFAULT_MIME = {"photo": "image/jpeg", "voice": "audio/ogg"}


class Upload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A file a manager attaches (control API: ``data_base64``; in-process: ``data``)."""

    kind: MediaKind
    data_base64: str = ""
    data: bytes = b""
    mime_type: str | None = None
    file_name: str | None = None

    def content(self) -> bytes:
        return self.data or base64.b64decode(self.data_base64)


def upload(world: TelegramWorld, token: str, spec: Upload) -> StoredFile:
    """Store an uploaded file for ``token``'s bot; returns it with its new ``file_id``."""
    data = spec.content()
    if not data:
        raise BotApiError(400, "Bad Request: the uploaded file is empty")
    number = len(world.files) + 1
    folder, ext = _FOLDER[spec.kind]
    if spec.kind == "document" and spec.file_name and "." in spec.file_name:
        ext = spec.file_name.rsplit(".", 1)[1][:8]
    stored = StoredFile(
        file_id=f"{spec.kind}-{number}-{secrets.token_hex(6)}",
        file_path=f"{folder}/file_{number}.{ext}",
        token=token,
        data=data,
        mime_type=spec.mime_type or _DEFAULT_MIME.get(spec.kind),
        file_name=spec.file_name,
    )
    world.files[stored.file_id] = stored
    return stored


def get_file(world: TelegramWorld, bot: BotState, params: dict[str, Any]) -> object:
    stored = world.files.get(str(params.get("file_id") or ""))
    if stored is None or stored.token != bot.token:
        raise BotApiError(400, "Bad Request: invalid file_id")
    return File(
        file_id=stored.file_id,
        file_unique_id=f"u-{stored.file_id}",
        file_size=len(stored.data),
        file_path=stored.file_path,
    )


def file_download(world: TelegramWorld, token: str, file_path: str) -> Response:
    """``GET /file/bot<token>/<file_path>``: the bytes, for the bot the file belongs to."""
    world.bot(token)
    found = next((f for f in world.files.values() if f.file_path == file_path and f.token == token), None)
    if found is None:
        raise BotApiError(404, "Not Found")
    return Response(status=200, body=found.data, content_type="application/octet-stream")
