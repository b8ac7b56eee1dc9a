"""Ranking a text for the intent stage: the matcher's scores, cue bonuses, and acceptance."""

from __future__ import annotations

from config.compile.masking import matching_text
from config.text.analyse import Analysed
from config.text.terms import Term, find_term
from engine.acceptance import accept
from engine.matcher import IntentScore, Matcher
from engine.turn import Turn

__all__ = ["accept_top", "boost", "rank", "set_aside_other_services"]


def boost(turn: Turn, analysed: Analysed, ranked: list[IntentScore]) -> list[IntentScore]:
    """Add the pack's cue bonus to intents whose cue phrases occur in the message."""
    cues: dict[str, tuple[Term, ...]] = turn.pack.extras.get("cues", {})
    bonus = turn.pack.source.thresholds.cue_bonus
    hits = {i for i, terms in cues.items() if any(find_term(t, analysed) for t in terms)}
    if not hits:
        return ranked
    boosted = [
        IntentScore(r.intent, min(1.0, r.score + bonus), r.example) if r.intent in hits else r for r in ranked
    ]
    return sorted(boosted, key=lambda s: (-s.score, s.intent))


def set_aside_other_services(turn: Turn, analysed: Analysed, ranked: list[IntentScore]) -> list[IntentScore]:
    """Without the intents tied (``about``) to services other than those the message names.

    A message that names no service keeps every intent: then nothing says the intent is off.
    """
    about: dict[str, frozenset[str]] = turn.pack.extras.get("intent_about", {})
    if not about or not any(r.intent in about for r in ranked):
        return ranked
    named = {m.service_id for m in turn.pack.catalogue.mentions(analysed)}
    if not named:
        return ranked
    return [r for r in ranked if r.intent not in about or about[r.intent] & named]


def _accept(turn: Turn, ranked: list[IntentScore]) -> IntentScore | None:
    return accept(ranked, turn.pack.threshold, turn.pack.source.thresholds.ambiguity_margin)


def accept_top(turn: Turn, ranked: list[IntentScore]) -> IntentScore | None:
    return accept(ranked, turn.pack.threshold, turn.pack.source.thresholds.ambiguity_margin)


def rank(turn: Turn, matcher: Matcher, analysed: Analysed, raw_text: str) -> tuple[str, list[IntentScore]]:
    """The masked matching text of ``analysed`` and its ranked, cue-boosted intents."""
    stopwords = turn.pack.extras["stopwords"]
    text = matching_text(analysed, turn.pack.catalogue, stopwords)
    literal = matching_text(analysed, turn.pack.catalogue, stopwords, mask_services=False)
    ranked = boost(turn, analysed, matcher.rank(turn.pack, text, literal, raw_text=raw_text))
    return text, set_aside_other_services(turn, analysed, ranked)
