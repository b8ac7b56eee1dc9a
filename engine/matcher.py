"""Intent matchers behind one small interface."""

from __future__ import annotations

from typing import Protocol

import msgspec

from config.compile.compiled import CompiledPack

__all__ = ["IntentScore", "LexicalMatcher", "Matcher"]


class IntentScore(msgspec.Struct, frozen=True):
    intent: str
    score: float
    example: str


class Matcher(Protocol):
    """Ranks every intent (and ``off_topic``) for one message, best first.

    ``raw_text`` is the customer's own words for that message or clause (a sentence encoder wants
    them; the lexical matcher ignores them). Callers pass it by keyword; it defaults to "".
    """

    name: str

    def rank(
        self, pack: CompiledPack, matching_text: str, literal_text: str, *, raw_text: str = ""
    ) -> list[IntentScore]: ...


class LexicalMatcher:
    """Character n-gram TF-IDF cosine against every example and OOD anchor (best example wins)."""

    name = "lexical"

    def rank(
        self, pack: CompiledPack, matching_text: str, literal_text: str, *, raw_text: str = ""
    ) -> list[IntentScore]:
        """``matching_text`` has services masked; ``literal_text`` keeps them (for literal intents)."""
        best: dict[str, IntentScore] = {}
        scores = pack.index.scores(matching_text) + pack.literal_index.scores(literal_text)
        for example, score in zip(pack.examples, scores, strict=True):
            current = best.get(example.intent)
            if current is None or score > current.score:
                best[example.intent] = IntentScore(example.intent, score, example.text)
        return sorted(best.values(), key=lambda s: (-s.score, s.intent))
