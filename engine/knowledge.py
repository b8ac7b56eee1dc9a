"""The tenant's knowledge through the retrieval port: the long tail, and questions a rule only half covers."""

from __future__ import annotations

from config.schema.intents import Intent
from config.text.morph import part_of_speech
from engine.answers import unknown_words
from engine.turn import Outcome, Turn

__all__ = ["knowledge_instead", "retrieve"]

OVERRIDE_MARGIN = 0.2  # how much surer than its threshold and than the rule's match retrieval must be


def retrieve(turn: Turn, why: str) -> Outcome | None:
    """A reply from the tenant's knowledge, only when retrieval is confident and grounded."""
    if turn.retriever is None:
        return None
    found = turn.retriever.answer(turn.message)
    threshold = turn.pack.source.thresholds.retrieval
    data: dict[str, object] = {"threshold": threshold, "why": why}
    if found is not None:
        data.update(llm=found.used_llm, grounded=found.grounded, grounding=found.grounding, nodes=found.nodes)
    if found is not None and found.grounded and found.confidence >= threshold:
        turn.log(
            "retrieval",
            "reply",
            "confident",
            scores={"confidence": found.confidence},
            matched=found.sources,
            data=data,
        )
        return Outcome("reply", found.text, "retrieval", facts=tuple(found.sources))
    turn.log(
        "retrieval",
        "pass",
        "not confident or not grounded",
        data={**data, "confidence": found.confidence if found else 0.0},
    )
    return None


def _unexplained(turn: Turn) -> list[str]:
    """Content words no intent of the pack uses and the catalogue doesn't know: «Какой срок действия
    у сертификата?» matches the certificate intent but asks something its answer lacks."""
    return [w for w in unknown_words(turn) if part_of_speech(w) in ("NOUN", "ADJF", "VERB", "INFN")]


def knowledge_instead(turn: Turn, intent: Intent, rule_score: float) -> Outcome | None:
    """Prefer a confident knowledge passage when the rule's answer would not cover the question."""
    extra = _unexplained(turn)
    if not extra or turn.retriever is None:
        return None
    found = turn.retriever.answer(turn.message)
    bar = turn.pack.source.thresholds.retrieval + OVERRIDE_MARGIN
    own = {f"fact:{f}" for f in turn.pack.intent_facts.get(intent.id, ())}
    if found is None or not found.grounded or set(found.sources) <= own:
        return None
    if found.confidence < bar or found.confidence < rule_score + OVERRIDE_MARGIN:
        return None
    turn.log(
        "retrieval",
        "reply",
        f"{intent.id} does not explain {extra}",
        scores={"confidence": found.confidence},
        matched=found.sources,
        data={"threshold": bar, "grounding": found.grounding, "nodes": found.nodes},
    )
    return Outcome("reply", found.text, "retrieval", facts=tuple(found.sources))
