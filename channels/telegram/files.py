"""Downloading a file a manager sent: ``GET <api root>/file/bot<token>/<file_path>`` after ``getFile``.

Failures are the desk's usual typed errors: 5xx/timeouts/connection -> :class:`TelegramUnavailable`
(retry), anything else (404, a file over the cap) -> :class:`TelegramRejected` (do not retry).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from channels.errors import TelegramRejected, TelegramUnavailable, snippet

__all__ = ["fetch_file"]

METHOD = "file download"


async def fetch_file(
    http: httpx.AsyncClient, url: str, file_path: str, max_bytes: int, scrub: Callable[[str], str]
) -> bytes:
    """The bytes at ``url``, at most ``max_bytes`` of them (streamed: a larger file is cut off)."""
    where = f"Telegram {METHOD} ({file_path[:80]})"
    try:
        async with http.stream("GET", url) as response:
            if response.status_code >= 300:
                body = scrub(snippet(await response.aread()))
                error = TelegramUnavailable if response.status_code >= 500 else TelegramRejected
                raise error(f"{where}: HTTP {response.status_code}", method=METHOD,
                            status=response.status_code, body=body)  # fmt: skip
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise TelegramRejected(f"{where}: the file is over {max_bytes} bytes", method=METHOD)
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise TelegramUnavailable(
            f"{where}: no answer in time ({type(exc).__name__})", method=METHOD
        ) from exc
    except httpx.TransportError as exc:
        raise TelegramUnavailable(
            f"{where}: cannot reach Telegram ({type(exc).__name__}: {scrub(str(exc))})", method=METHOD
        ) from exc
    return b"".join(chunks)
