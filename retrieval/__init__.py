"""Retrieval adapters: the long tail answered from a tenant's own knowledge (LlamaIndex over Qdrant).

The engine (``engine/``) is pure: it only knows the ``engine.retrieval.Retriever`` port. Everything
that touches a vector store, an embedding model or an LLM lives here, outside the engine, and is
passed in by the caller (the eval runner, the workers, the CLI).

Typical use::

    store = tenant_store(open_qdrant(), pack.tenant_id)   # var/qdrant, or $QDRANT_URL
    sync_pack(pack, store)                                 # `truffles knowledge sync PACK`
    retriever = PackRetriever(pack, store)                 # engine.decide(..., retriever=retriever)

Qdrant local mode takes an exclusive lock on its path: only one process may own it.
"""

from __future__ import annotations

from qdrant_client import QdrantClient

from retrieval.calibrate import Calibration, calibrate_threshold
from retrieval.chunks import pack_nodes
from retrieval.embedding import HashedNgramEmbedding
from retrieval.errors import MissingExtra, RetrievalError, StaleIndex, StoreLocked, TenantMismatch
from retrieval.grounding import Verdict, check_answer
from retrieval.llm import AnswerLLM, llm_from_env
from retrieval.qdrant import DEFAULT_STORE_PATH, close_all, open_qdrant
from retrieval.retriever import PackRetriever
from retrieval.store import TenantQdrantStore
from retrieval.sync import SyncReport, default_embedding, sync_pack

__all__ = [
    "DEFAULT_STORE_PATH",
    "AnswerLLM",
    "Calibration",
    "HashedNgramEmbedding",
    "MissingExtra",
    "PackRetriever",
    "RetrievalError",
    "StaleIndex",
    "StoreLocked",
    "SyncReport",
    "TenantMismatch",
    "TenantQdrantStore",
    "Verdict",
    "calibrate_threshold",
    "check_answer",
    "close_all",
    "default_embedding",
    "llm_from_env",
    "open_qdrant",
    "pack_nodes",
    "sync_pack",
    "tenant_store",
]


def tenant_store(client: QdrantClient, tenant_id: str) -> TenantQdrantStore:
    """The store of one tenant on ``client`` (one collection per tenant, plus a tenant filter)."""
    return TenantQdrantStore(client, tenant_id)
