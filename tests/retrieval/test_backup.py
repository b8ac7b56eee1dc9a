"""Qdrant server snapshots in a backup, against a fake of the Qdrant REST API (httpx MockTransport).

It checks our side of the protocol — which calls, in which order, what lands in the folder, that a
damaged snapshot stops the restore before the server is touched — not Qdrant's own behaviour (no
Qdrant server runs on the development machines).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from retrieval.backup import backup_qdrant, restore_qdrant
from storage.backup_manifest import BackupError


class FakeQdrant:
    def __init__(self, collections: dict[str, bytes]) -> None:
        self.collections = dict(collections)
        self.snapshots: dict[str, bytes] = {}
        self.calls: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        self.calls.append(f"{method} {path}")
        parts = path.strip("/").split("/")
        if path == "/collections" and method == "GET":
            names = [{"name": n} for n in self.collections]
            return httpx.Response(200, json={"result": {"collections": names}})
        if len(parts) == 3 and parts[2] == "snapshots" and method == "POST":
            name = f"{parts[1]}-1.snapshot"
            self.snapshots[name] = b"SNAP:" + self.collections[parts[1]]
            return httpx.Response(200, json={"result": {"name": name}})
        if len(parts) == 4 and parts[3] == "upload" and method == "POST":
            body = request.read()
            assert request.url.params["priority"] == "snapshot"
            start = body.index(b"SNAP:") + len(b"SNAP:")
            self.collections[parts[1]] = body[start:].split(b"\r\n", 1)[0]
            return httpx.Response(200, json={"result": True})
        if len(parts) == 4 and method == "GET":
            return httpx.Response(200, content=self.snapshots[parts[3]])
        if len(parts) == 4 and method == "DELETE":
            del self.snapshots[parts[3]]
            return httpx.Response(200, json={"result": True})
        return httpx.Response(404, json={"status": {"error": f"no route {method} {path}"}})

    def client(self) -> httpx.Client:
        return httpx.Client(base_url="http://qdrant.test", transport=httpx.MockTransport(self.handle))


def test_snapshots_round_trip_through_the_backup_folder(tmp_path: Path) -> None:
    server = FakeQdrant({"kb_demo_salon": b"salon-points", "kb__meta": b"meta-points"})
    part = backup_qdrant("http://qdrant.test", tmp_path, client=server.client())
    assert part.mode == "server" and [s.collection for s in part.snapshots] == ["kb__meta", "kb_demo_salon"]
    assert (tmp_path / "qdrant" / "kb_demo_salon.snapshot").read_bytes() == b"SNAP:salon-points"
    assert server.snapshots == {}  # downloaded, then deleted on the server

    server.collections = {"kb_demo_salon": b"lost", "kb__meta": b"lost"}
    restored = restore_qdrant(part, "http://qdrant.test", tmp_path, client=server.client())
    assert restored == ["kb__meta", "kb_demo_salon"]
    assert server.collections == {"kb_demo_salon": b"salon-points", "kb__meta": b"meta-points"}


def test_a_damaged_snapshot_stops_the_restore_before_any_upload(tmp_path: Path) -> None:
    server = FakeQdrant({"kb_a": b"a", "kb_b": b"b"})
    part = backup_qdrant("http://qdrant.test", tmp_path, client=server.client())
    (tmp_path / "qdrant" / "kb_b.snapshot").write_bytes(b"SNAP:tampered")
    server.calls.clear()
    with pytest.raises(BackupError, match=r"Qdrant snapshot of kb_b is corrupted"):
        restore_qdrant(part, "http://qdrant.test", tmp_path, client=server.client())
    assert server.calls == []
    with pytest.raises(BackupError, match=r"set QDRANT_URL"):
        restore_qdrant(part, None, tmp_path)
