"""Opening Qdrant: local mode on a path (the embedded default) or a server (``QDRANT_URL``).

Qdrant local mode takes an **exclusive lock** on its path: only one process may own a store (the
API and the workers cannot share one on-disk store — give the owner process the store, or run the
Qdrant server from compose.yaml and set ``QDRANT_URL`` everywhere). Within one process, clients are
cached per path, so every tenant store of the process shares the one lock holder.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

from qdrant_client import QdrantClient

from retrieval.errors import StoreLocked

__all__ = ["DEFAULT_STORE_PATH", "QDRANT_URL_ENV", "close_all", "open_qdrant"]

DEFAULT_STORE_PATH = "var/qdrant"
QDRANT_URL_ENV = "QDRANT_URL"
QDRANT_API_KEY_ENV = "QDRANT_API_KEY"
_CLIENTS: dict[str, QdrantClient] = {}
_LOCK = threading.Lock()


def open_qdrant(path: str | os.PathLike[str] | None = None, *, url: str | None = None) -> QdrantClient:
    """A Qdrant client: ``url`` (or ``$QDRANT_URL``) selects a server, else local mode on ``path``.

    ``path=":memory:"`` gives a throw-away in-process store (tests). Raises ``StoreLocked`` when
    another process owns the local path.
    """
    url = url if url is not None else os.environ.get(QDRANT_URL_ENV) or None
    if url:
        key = f"url:{url}"
    elif path is not None and os.fspath(path) == ":memory:":
        return QdrantClient(location=":memory:")
    else:
        key = str(Path(path if path is not None else DEFAULT_STORE_PATH).resolve())
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is not None:
            return client
        if url:
            client = QdrantClient(url=url, api_key=os.environ.get(QDRANT_API_KEY_ENV) or None)
        else:
            Path(key).mkdir(parents=True, exist_ok=True)
            try:
                client = QdrantClient(path=key)
            except RuntimeError as exc:
                if "already accessed" in str(exc):
                    raise StoreLocked(key, exc) from exc
                raise
        _CLIENTS[key] = client
        return client


def close_all() -> None:
    """Close every cached client (releases local-mode locks); the next ``open_qdrant`` reopens."""
    with _LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


atexit.register(close_all)  # release local-mode locks while the interpreter can still import
