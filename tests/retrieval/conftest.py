"""Retrieval tests run with the network unreachable: any non-loopback connect fails loudly."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.files import read_pack_dir
from config.loader import load_pack
from retrieval import PackRetriever, TenantQdrantStore, open_qdrant, sync_pack, tenant_store

ROOT = Path(__file__).resolve().parents[2]
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise OSError(f"network disabled in tests/retrieval: refused connect to {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.delenv("QDRANT_URL", raising=False)
    yield


@cache
def compiled(name: str) -> CompiledPack:
    return compile_pack(load_pack(read_pack_dir(ROOT / "packs" / name)))


def memory_store(tenant: str) -> TenantQdrantStore:
    return tenant_store(open_qdrant(":memory:"), tenant)


@pytest.fixture(params=["memory", "local_path"])
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def qdrant(client_kind: str, tmp_path: Path) -> Iterator[Any]:
    """One Qdrant client per contract run: in-memory, and local mode on a path (the embedded default)."""
    from qdrant_client import QdrantClient

    path = str(tmp_path / "q")
    client = QdrantClient(location=":memory:") if client_kind == "memory" else QdrantClient(path=path)
    yield client
    client.close()


@pytest.fixture(scope="module")
def salon_retriever() -> PackRetriever:
    pack = compiled("demo_salon")
    store = memory_store(pack.tenant_id)
    sync_pack(pack, store)
    return PackRetriever(pack, store)
