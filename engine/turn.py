"""The working memory of one ``decide`` call (internal, mutable, never leaves the engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.compile.compiled import CompiledPack
from config.text.analyse import Analysed
from engine.retrieval import Retriever
from engine.state import ConversationState
from engine.types import Action, Effect, TraceEntry

__all__ = ["Outcome", "Turn"]


@dataclass(frozen=True)
class Outcome:
    """How a stage finished the turn."""

    action: Action
    reply: str
    intent: str
    reason: str = ""
    facts: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()


@dataclass
class Turn:
    pack: CompiledPack
    state: ConversationState
    message: str
    now: datetime
    local: datetime
    analysed: Analysed
    matching_text: str
    literal_text: str
    retriever: Retriever | None = None
    trace: list[TraceEntry] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def log(self, stage: str, decision: str, reason: str = "", **kw: Any) -> None:
        self.trace.append(
            TraceEntry(stage=stage, decision=decision, reason=reason, pack_version=self.pack.version, **kw)
        )
