"""``HybridMatcher``: the lexical and the dense matcher's per-intent scores, combined.

Both matchers rank every intent (and ``off_topic``) on the pack's score scale (the dense one
rescaled, see :mod:`encoders.dense`), so they combine intent by intent:

- ``mean``: ``(1 - weight) * lexical + weight * dense`` (``weight`` 0 is lexical, 1 is dense);
- ``max``: ``max(lexical, weight * dense)``: the lexical score, raised where the encoder is surer.

The example shown in the trace is the one of the larger contribution. Not for the web process.
"""

from __future__ import annotations

from typing import Literal

from config.compile.compiled import CompiledPack
from engine.matcher import IntentScore, Matcher

__all__ = ["HybridMatcher", "Mode"]

Mode = Literal["mean", "max"]


class HybridMatcher:
    """Implements ``engine.matcher.Matcher`` from two matchers."""

    def __init__(self, lexical: Matcher, dense: Matcher, weight: float = 0.5, mode: Mode = "mean") -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight must be in [0, 1], got {weight}")
        self.lexical = lexical
        self.dense = dense
        self.weight = weight
        self.mode: Mode = mode
        self.name = f"hybrid-{mode}-{weight:g}"

    def _combine(self, lex: IntentScore | None, den: IntentScore | None, intent: str) -> IntentScore:
        ls, le = (lex.score, lex.example) if lex else (0.0, "")
        ds, de = (den.score, den.example) if den else (0.0, "")
        if self.mode == "mean":
            a, b = (1.0 - self.weight) * ls, self.weight * ds
            return IntentScore(intent, a + b, le if a >= b else de)
        b = self.weight * ds
        return IntentScore(intent, max(ls, b), le if ls >= b else de)

    def rank(
        self, pack: CompiledPack, matching_text: str, literal_text: str, *, raw_text: str = ""
    ) -> list[IntentScore]:
        lex = {s.intent: s for s in self.lexical.rank(pack, matching_text, literal_text, raw_text=raw_text)}
        den = {s.intent: s for s in self.dense.rank(pack, matching_text, literal_text, raw_text=raw_text)}
        scored = [self._combine(lex.get(i), den.get(i), i) for i in dict.fromkeys([*lex, *den])]
        return sorted(scored, key=lambda s: (-s.score, s.intent))
