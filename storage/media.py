"""The media store port: files we send (a manager's photo, document, voice note), per tenant.

:class:`LocalMediaStore` keeps each file under ``<root>/<tenant>/<file id>`` with a JSON sidecar
(``<file id>.json``) holding its content type, size and original name. Tenant ids and file ids are
restricted to ``[A-Za-z0-9_-]``, so a name can never leave its tenant's directory; there is no
listing operation at all. ChatFlow fetches these files through signed, expiring URLs
(:mod:`storage.media_tokens`, route ``GET /media/{token}``).
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import msgspec

__all__ = [
    "DEFAULT_MEDIA_DIR",
    "LocalMediaStore",
    "MediaError",
    "MediaNotFound",
    "MediaStore",
    "MediaTooLarge",
    "StoredMedia",
    "check_name",
]

DEFAULT_MEDIA_DIR = "var/media"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


class MediaError(Exception):
    """Root of the media store's errors."""


class MediaNotFound(MediaError):
    """No such file for this tenant."""


class MediaTooLarge(MediaError):
    """The file is over the store's size cap."""


def check_name(value: str, what: str) -> str:
    """``value`` if it is a safe path component (``[A-Za-z0-9_-]{1,128}``), else ValueError."""
    if not _NAME.fullmatch(value):
        raise ValueError(f"{what} {value[:80]!r} is not a safe name: use letters, digits, '_' or '-'")
    return value


class _Meta(msgspec.Struct, frozen=True, kw_only=True):
    content_type: str
    size: int
    file_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMedia:
    """A file in the store."""

    tenant_id: str
    file_id: str
    content_type: str
    size: int
    file_name: str | None = None


class MediaStore(Protocol):
    """Where media we send lives; every call names the tenant."""

    max_bytes: int

    def put(
        self,
        tenant_id: str,
        data: bytes,
        content_type: str,
        *,
        file_id: str | None = None,
        file_name: str | None = None,
    ) -> StoredMedia:
        """Store ``data`` (same ``file_id`` again: replaced, so a retry is harmless)."""
        ...

    def stat(self, tenant_id: str, file_id: str) -> StoredMedia:
        """The file's description; raises :class:`MediaNotFound`."""
        ...

    def read(self, tenant_id: str, file_id: str) -> tuple[StoredMedia, bytes]:
        """The file and its bytes; raises :class:`MediaNotFound`."""
        ...


class LocalMediaStore:
    """A :class:`MediaStore` on a local directory (``var/media`` by default).

    Args:
        root: the directory (created on first write).
        max_bytes: files larger than this are refused with :class:`MediaTooLarge`.
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def put(
        self,
        tenant_id: str,
        data: bytes,
        content_type: str,
        *,
        file_id: str | None = None,
        file_name: str | None = None,
    ) -> StoredMedia:
        if len(data) > self.max_bytes:
            raise MediaTooLarge(f"{len(data)} bytes is over the media cap of {self.max_bytes} bytes")
        fid = check_name(file_id, "file id") if file_id is not None else uuid.uuid4().hex
        folder = self.root / check_name(tenant_id, "tenant id")
        folder.mkdir(parents=True, exist_ok=True)
        meta = _Meta(content_type=content_type or "application/octet-stream", size=len(data),
                     file_name=(file_name or None) and file_name[:200])  # fmt: skip
        _atomic_write(folder / fid, data)
        _atomic_write(folder / f"{fid}.json", msgspec.json.encode(meta))
        return _stored(tenant_id, fid, meta)

    def stat(self, tenant_id: str, file_id: str) -> StoredMedia:
        path = self._path(tenant_id, file_id)
        try:
            meta = msgspec.json.decode(path.with_name(f"{file_id}.json").read_bytes(), type=_Meta)
        except (FileNotFoundError, msgspec.DecodeError):
            raise MediaNotFound(f"no media {file_id!r} for tenant {tenant_id!r}") from None
        if not path.is_file():
            raise MediaNotFound(f"no media {file_id!r} for tenant {tenant_id!r}")
        return _stored(tenant_id, file_id, meta)

    def read(self, tenant_id: str, file_id: str) -> tuple[StoredMedia, bytes]:
        found = self.stat(tenant_id, file_id)
        try:
            return found, self._path(tenant_id, file_id).read_bytes()
        except FileNotFoundError:
            raise MediaNotFound(f"no media {file_id!r} for tenant {tenant_id!r}") from None

    def _path(self, tenant_id: str, file_id: str) -> Path:
        try:
            return self.root / check_name(tenant_id, "tenant id") / check_name(file_id, "file id")
        except ValueError:
            raise MediaNotFound(f"no media {file_id[:80]!r} for tenant {tenant_id[:80]!r}") from None


def _stored(tenant_id: str, file_id: str, meta: _Meta) -> StoredMedia:
    return StoredMedia(
        tenant_id=tenant_id,
        file_id=file_id,
        content_type=meta.content_type,
        size=meta.size,
        file_name=meta.file_name,
    )


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
