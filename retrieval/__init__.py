"""Retrieval adapters: the long tail answered from a tenant's own knowledge (LlamaIndex over Qdrant).

The engine (``engine/``) is pure: it only knows the ``engine.retrieval.Retriever`` port. Everything
that touches a vector store, an embedding model or an LLM lives here, outside the engine, and is
passed in by the caller (the eval runner, the workers, the CLI).
"""
