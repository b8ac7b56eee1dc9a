"""One contract over every Qdrant adapter kind: in-memory and local mode on a path."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from config.compile.compiler import compile_pack
from retrieval import PackRetriever, StaleIndex, TenantMismatch, pack_nodes, sync_pack, tenant_store
from tests.retrieval.conftest import compiled


def test_sync_is_incremental_and_deletes_what_disappeared(qdrant: Any) -> None:
    pack = compiled("demo_salon")
    store = tenant_store(qdrant, pack.tenant_id)
    first = sync_pack(pack, store)
    assert first.added == len(pack_nodes(pack)) and first.deleted == 0
    again = sync_pack(pack, store)
    assert (again.added, again.deleted, again.kept) == (0, 0, first.total)
    knowledge = {k: v for k, v in pack.source.knowledge.items() if "gift" not in k}
    smaller = compile_pack(msgspec.structs.replace(pack.source, knowledge=knowledge))
    report = sync_pack(smaller, store)
    assert report.added == 0 and report.deleted > 0
    assert store.ids() == {n.node_id for n in pack_nodes(smaller)}
    assert store.meta()["corpus"] == report.corpus_version
    assert store.meta()["pack_version"] == smaller.version


def test_node_ids_are_stable_and_ids_are_not_embedded() -> None:
    pack = compiled("demo_salon")
    a, b = pack_nodes(pack), pack_nodes(pack)
    assert [n.node_id for n in a] == [n.node_id for n in b]
    node = a[0]
    assert {"tenant", "doc", "chunk", "source"} <= set(node.excluded_embed_metadata_keys)
    embedded = node.get_content(metadata_mode="embed")  # type: ignore[arg-type]
    assert "demo_salon" not in embedded and node.metadata["chunk"] not in embedded


def test_other_tenants_decoys_are_invisible_even_for_verbatim_quotes(qdrant: Any) -> None:
    salon, auto = compiled("demo_salon"), compiled("auto_service")
    sync_pack(salon, tenant_store(qdrant, salon.tenant_id))
    sync_pack(auto, tenant_store(qdrant, auto.tenant_id))
    retriever = PackRetriever(salon, tenant_store(qdrant, salon.tenant_id))
    auto_ids = {n.node_id for n in pack_nodes(auto)}
    quotes = [n.get_content() for n in pack_nodes(auto)][:25]
    quotes += ["Сезонное хранение шин", "Толе би 298Б", "компьютерная диагностика 6 000 ₸"]
    for quote in quotes:
        found = retriever.candidates(quote)
        assert not {c.node_id for c in found} & auto_ids, quote
        answer = retriever.answer(quote)
        assert answer is None or not set(answer.nodes) & auto_ids
        assert answer is None or "Толе би" not in answer.text


def test_a_store_refuses_another_tenants_nodes_and_packs(qdrant: Any) -> None:
    salon, auto = compiled("demo_salon"), compiled("auto_service")
    store = tenant_store(qdrant, salon.tenant_id)
    store.ensure(4)
    foreign = pack_nodes(auto)[0]
    foreign.embedding = [1.0, 0.0, 0.0, 0.0]
    with pytest.raises(TenantMismatch, match="auto_service"):
        store.add([foreign])
    with pytest.raises(TenantMismatch):
        sync_pack(auto, store)
    with pytest.raises(TenantMismatch):
        PackRetriever(auto, store)


def test_retriever_refuses_a_store_never_synced_from_this_pack(qdrant: Any) -> None:
    pack = compiled("demo_salon")
    with pytest.raises(StaleIndex, match="truffles knowledge sync"):
        PackRetriever(pack, tenant_store(qdrant, pack.tenant_id))
