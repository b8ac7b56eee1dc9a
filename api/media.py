"""``GET /media/{token}``: one file of one tenant, for whoever holds a valid signed token.

The token (see :mod:`storage.media_tokens`) names the tenant and the file and expires; a bad,
tampered or expired token gets 403, a valid token for a file that is not (or no longer) there gets
404. Nothing is ever listed: there is no route without a token.
"""

from __future__ import annotations

import logging

import anyio.to_thread
from litestar import Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath

from api.problems import problem_responses
from storage.media import MediaNotFound
from storage.media_tokens import BadMediaToken
from workers.media_links import MEDIA_ROUTE

__all__ = ["media_file"]

log = logging.getLogger("truffles.api.media")


@get(
    f"{MEDIA_ROUTE}/{{token:str}}",
    summary="A media file we send (signed, expiring URL)",
    responses=problem_responses(400, 403, 404),
)
async def media_file(token: FromPath[str], state: State) -> Response[bytes]:
    """The file's bytes with its content type; 403 for a bad or expired token, 404 when missing."""
    media = state.edge.rt.media
    if media is None:
        raise NotFoundException("media serving is not configured")
    try:
        ticket = media.signer.verify(token)
    except BadMediaToken as exc:
        log.warning("media request refused: %s", exc)
        raise PermissionDeniedException("invalid or expired media link") from None
    try:
        found, data = await anyio.to_thread.run_sync(media.store.read, ticket.tenant_id, ticket.file_id)
    except MediaNotFound:
        raise NotFoundException("no such media") from None
    return Response(
        content=data,
        media_type=found.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
