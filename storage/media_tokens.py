"""Signed, expiring tokens naming one tenant's file: what ``GET /media/{token}`` accepts.

A token is ``<payload>.<signature>`` in URL-safe base64 without padding; the payload is
``v1:<tenant>:<file id>:<expires unix seconds>`` and the signature is HMAC-SHA256 over it with a key
derived from the service secret *and the tenant* (``HMAC(secret, "media:" + tenant)``). Changing
any byte (another tenant, another file, a later expiry) breaks the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

from storage.media import check_name

__all__ = ["MEDIA_SECRET_ENV", "BadMediaToken", "MediaSigner", "MediaTicket"]

MEDIA_SECRET_ENV = "TRUFFLES_MEDIA_SECRET"
_VERSION = "v1"


class BadMediaToken(Exception):
    """The token is malformed, tampered with or expired (the message says which; never the secret)."""


@dataclass(frozen=True, slots=True)
class MediaTicket:
    """What a valid token grants: one file of one tenant, until ``expires``."""

    tenant_id: str
    file_id: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MediaSigner:
    """Signs and checks media tokens.

    Args:
        secret: the service secret (``$TRUFFLES_MEDIA_SECRET``); at least 16 bytes.
        ttl_seconds: default lifetime of a token.
    """

    def __init__(self, secret: str, *, ttl_seconds: float = 3600.0) -> None:
        if len(secret.encode()) < 16:
            raise ValueError(f"the media secret must be at least 16 bytes (set {MEDIA_SECRET_ENV})")
        self._secret = secret.encode()
        self.ttl_seconds = ttl_seconds

    def _key(self, tenant_id: str) -> bytes:
        return hmac.new(self._secret, f"media:{tenant_id}".encode(), hashlib.sha256).digest()

    def sign(
        self, tenant_id: str, file_id: str, *, now: float | None = None, ttl: float | None = None
    ) -> str:
        """A token for ``tenant_id``'s ``file_id`` valid for ``ttl`` seconds (default ``ttl_seconds``)."""
        check_name(tenant_id, "tenant id")
        check_name(file_id, "file id")
        expires = int((time.time() if now is None else now) + (self.ttl_seconds if ttl is None else ttl))
        payload = f"{_VERSION}:{tenant_id}:{file_id}:{expires}".encode()
        signature = hmac.new(self._key(tenant_id), payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(signature)}"

    def verify(self, token: str, *, now: float | None = None) -> MediaTicket:
        """The ticket of a valid token; raises :class:`BadMediaToken` otherwise."""
        head, dot, tail = token.partition(".")
        if not dot or len(token) > 1024:
            raise BadMediaToken("malformed media token")
        try:
            payload, signature = _unb64(head), _unb64(tail)
            version, tenant_id, file_id, expires_text = payload.decode("ascii").split(":")
            expires = int(expires_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadMediaToken("malformed media token") from None
        if version != _VERSION:
            raise BadMediaToken("unknown media token version")
        expected = hmac.new(self._key(tenant_id), payload, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise BadMediaToken("media token signature does not match")
        if expires < (time.time() if now is None else now):
            raise BadMediaToken("media token expired")
        return MediaTicket(tenant_id=tenant_id, file_id=file_id, expires=expires)
