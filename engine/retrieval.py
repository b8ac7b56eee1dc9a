"""The retrieval port: the long tail answered from the tenant's own documents."""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["RetrievalAnswer", "Retriever"]


class RetrievalAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """``sources``: the facts/chunks the text rests on; ``nodes``: retrieved node id → score;
    ``grounding``: how the text was checked (``extractive``, ``llm answer grounded``, why rejected)."""

    text: str
    confidence: float
    sources: list[str]
    grounded: bool = True
    used_llm: bool = False
    nodes: dict[str, float] = msgspec.field(default_factory=dict)
    grounding: str = ""


class Retriever(Protocol):
    """Scoped to one tenant at construction; ``None`` when nothing relevant was found."""

    def answer(self, question: str) -> RetrievalAnswer | None: ...
