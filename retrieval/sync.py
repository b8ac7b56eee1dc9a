"""``sync_pack``: make a tenant's collection hold exactly the pack's current chunks.

New chunks are embedded and upserted, chunks that disappeared are deleted, unchanged ones are left
alone (their vectors do not depend on the rest of the corpus). The pack version, the corpus
version and the vector space are recorded in the store's meta.
"""

from __future__ import annotations

import time

import msgspec
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import TextNode

from config.compile.compiled import CompiledPack
from retrieval.chunks import corpus_version, embed_text, pack_nodes
from retrieval.embedding import HashedNgramEmbedding
from retrieval.errors import TenantMismatch
from retrieval.store import TenantQdrantStore

__all__ = ["SyncReport", "default_embedding", "embedding_signature", "sync_nodes", "sync_pack"]


class SyncReport(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    pack_version: str
    corpus_version: str
    added: int
    deleted: int
    kept: int
    seconds: float

    @property
    def total(self) -> int:
        return self.added + self.kept


def default_embedding(pack: CompiledPack, nodes: list[TextNode] | None = None) -> HashedNgramEmbedding:
    """The offline embedding for ``pack``, its query IDF fitted on the pack's own chunks."""
    found = pack_nodes(pack) if nodes is None else nodes
    model = HashedNgramEmbedding(pack.analyser, stopwords=pack.source.lexicon.stopwords)
    return model.fit([embed_text(n) for n in found])


def embedding_signature(model: BaseEmbedding) -> str:
    return str(getattr(model, "signature", None) or f"{model.class_name()}:{model.model_name}")


def sync_nodes(
    store: TenantQdrantStore, nodes: list[TextNode], model: BaseEmbedding, *, pack_version: str
) -> SyncReport:
    """Upsert ``nodes`` that are new, delete what disappeared, record what was indexed."""
    started = time.perf_counter()
    signature = embedding_signature(model)
    meta = store.meta()
    if meta.get("space") and meta.get("space") != signature:
        store.clear()  # another vector space: nothing already stored is comparable
    wanted = {n.node_id: n for n in nodes}
    have = store.ids()
    fresh = [n for nid, n in wanted.items() if nid not in have]
    if fresh:
        vectors = model.get_text_embedding_batch([embed_text(n) for n in fresh])
        for node, vector in zip(fresh, vectors, strict=True):
            node.embedding = vector
        store.ensure(len(vectors[0]))
        store.add(fresh)
    gone = sorted(have - wanted.keys())
    store.delete_nodes(gone)
    version = corpus_version(nodes, signature)
    meta = {"pack_version": pack_version, "corpus": version, "space": signature, "nodes": str(len(wanted))}
    store.set_meta(meta)
    return SyncReport(
        tenant=store.tenant_id,
        pack_version=pack_version,
        corpus_version=version,
        added=len(fresh),
        deleted=len(gone),
        kept=len(wanted) - len(fresh),
        seconds=time.perf_counter() - started,
    )


def sync_pack(pack: CompiledPack, store: TenantQdrantStore, model: BaseEmbedding | None = None) -> SyncReport:
    """Index ``pack``'s knowledge documents and facts into its tenant's store."""
    if store.tenant_id != pack.tenant_id:
        raise TenantMismatch(store.tenant_id, pack.tenant_id, f"pack {pack.tenant_id!r}")
    nodes = pack_nodes(pack)
    return sync_nodes(store, nodes, model or default_embedding(pack, nodes), pack_version=pack.version)
