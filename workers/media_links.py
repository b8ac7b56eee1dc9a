"""Media we send: the tenant's files in the media store, and signed public URLs to them.

ChatFlow fetches a media message's file from ``<public base URL>/media/<token>``; the token is signed
at each send attempt (see :mod:`storage.media_tokens`), so a retry never carries an expired link.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import ServiceSettings
from storage.media import LocalMediaStore, MediaStore
from storage.media_tokens import MediaSigner

__all__ = ["MEDIA_ROUTE", "MediaLinks", "build_media_links"]

log = logging.getLogger("truffles.media")

MEDIA_ROUTE = "/media"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLinks:
    """The media store, the signer and where the public reaches ``GET /media/{token}``."""

    store: MediaStore
    signer: MediaSigner
    public_base_url: str

    def url(self, tenant_id: str, file_id: str, *, now: float | None = None) -> str:
        """A signed, expiring public URL of one tenant's file."""
        token = self.signer.sign(tenant_id, file_id, now=now)
        return f"{self.public_base_url.rstrip('/')}{MEDIA_ROUTE}/{token}"


def build_media_links(settings: ServiceSettings, environ: Mapping[str, str]) -> MediaLinks | None:
    """Media links from the settings; the secret comes from ``$<media_secret_env>``.

    The embedded mode (one process) generates a secret when none is set, like its other local
    secrets; the Redis mode (API and workers in separate processes) needs it set, else no media.
    """
    secret = environ.get(settings.media_secret_env, "")
    if not secret and settings.broker == "embedded":
        secret = secrets.token_urlsafe(32)
    if not secret:
        log.warning("%s is not set: media messages cannot be sent", settings.media_secret_env)
        return None
    return MediaLinks(
        store=LocalMediaStore(settings.media_dir, max_bytes=settings.media_max_bytes),
        signer=MediaSigner(secret, ttl_seconds=settings.media_url_ttl_seconds),
        public_base_url=settings.public_base_url,
    )
