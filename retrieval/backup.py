"""Qdrant in a backup: collection snapshots on a server, a documented re-sync in local mode.

Server (``QDRANT_URL``): every collection is snapshotted (``POST /collections/{c}/snapshots``), the
snapshot downloaded into the backup folder and deleted on the server; a restore uploads each one
(``POST /collections/{c}/snapshots/upload?priority=snapshot``), which replaces the collection.

Local mode (``var/qdrant``) is not copied (see ``cli/backup_commands.py``): the store is derived
data, rebuilt from the packs by ``truffles knowledge sync``.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from storage.backup_manifest import BackupError, QdrantPart, SnapshotFile, file_sha256, verify_file

__all__ = ["backup_qdrant", "restore_qdrant"]
SNAPSHOT_DIR = "qdrant"
TIMEOUT_SECONDS = 600.0


def _client(url: str) -> httpx.Client:
    key = os.environ.get("QDRANT_API_KEY")
    headers = {"api-key": key} if key else {}
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=TIMEOUT_SECONDS)


def _checked(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 400:
        raise BackupError(f"Qdrant {what} failed: HTTP {response.status_code} {response.text[:300]}")
    return response


def backup_qdrant(url: str, folder: Path, *, client: httpx.Client | None = None) -> QdrantPart:
    """Snapshot every collection of the server at ``url`` into ``folder/qdrant``."""
    target = folder / SNAPSHOT_DIR
    target.mkdir(parents=True, exist_ok=True)
    files: list[SnapshotFile] = []
    with client or _client(url) as http:
        listed = _checked(http.get("/collections"), "listing collections").json()
        for name in sorted(c["name"] for c in listed["result"]["collections"]):
            created = _checked(http.post(f"/collections/{name}/snapshots", params={"wait": "true"}), name)
            snapshot = str(created.json()["result"]["name"])
            path = target / f"{name}.snapshot"
            with http.stream("GET", f"/collections/{name}/snapshots/{snapshot}") as response:
                _checked(response, f"download of {name}/{snapshot}")
                with path.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
            _checked(http.delete(f"/collections/{name}/snapshots/{snapshot}"), f"cleanup of {snapshot}")
            files.append(
                SnapshotFile(
                    collection=name,
                    name=f"{SNAPSHOT_DIR}/{path.name}",
                    bytes=path.stat().st_size,
                    sha256=file_sha256(path),
                )
            )
    return QdrantPart(mode="server", snapshots=files)


def restore_qdrant(
    part: QdrantPart, url: str | None, folder: Path, *, client: httpx.Client | None = None
) -> list[str]:
    """Upload the snapshots of ``part`` to the server at ``url``; returns what was restored."""
    if part.mode != "server":
        return []
    if not url:
        raise BackupError(
            "this backup holds Qdrant server snapshots: set QDRANT_URL (or --qdrant-url) to the server "
            "to restore them into"
        )
    # Check every file before touching the server: all of them or none.
    paths = [
        verify_file(folder, s.name, s.bytes, s.sha256, f"Qdrant snapshot of {s.collection}")
        for s in part.snapshots
    ]
    restored: list[str] = []
    with client or _client(url) as http:
        for snapshot, path in zip(part.snapshots, paths, strict=True):
            with path.open("rb") as handle:
                _checked(
                    http.post(
                        f"/collections/{snapshot.collection}/snapshots/upload",
                        params={"priority": "snapshot", "wait": "true"},
                        files={"snapshot": (path.name, handle, "application/octet-stream")},
                    ),
                    f"upload of {snapshot.collection}",
                )
            restored.append(snapshot.collection)
    return restored
