"""Several questions in one message: which clauses ask, and one reply answering all of them."""

from __future__ import annotations

import re

from config.compile.compiled import OFF_TOPIC
from config.compile.masking import NUMBER_MASK, SERVICE_MASK, TIME_MASK
from config.schema.catalogue import Service
from config.schema.intents import BookingAnswer, ConsultAnswer
from config.text.morph import is_function_word
from engine.answers import answer_intent
from engine.booking import booking_step
from engine.matcher import IntentScore, Matcher
from engine.scoring import accept_top, rank
from engine.turn import Outcome, Turn

__all__ = ["MASKS", "SPLIT", "answer_all", "clause_parts", "segments"]

SPLIT = re.compile(r"[?!.;\n]+|,|\s(?:и|а также|также)\s", re.IGNORECASE)
_SENTENCE = re.compile(r"[?!.;\n]+")
_CLAUSE = re.compile(r",|\s(?:и|а также|также)\s", re.IGNORECASE)
SEGMENT_CONFIDENCE = 0.5  # a question inside a multi-question message must be clear on its own
STRONG_SEGMENT = 0.75  # a clause with no question word counts only when it matches an example almost exactly
MASKS = frozenset({SERVICE_MASK, TIME_MASK, NUMBER_MASK})


def clause_parts(turn: Turn) -> list[tuple[str, bool]]:
    """Sentences, and within a sentence the clauses that ask something of their own.

    «Сколько стоит маникюр, сколько длится и где вы?» has three questions; in «Можно вино принести,
    отметим с подругой?» the second clause only explains the first, so it stays attached to it.
    """
    asking: frozenset[str] = turn.pack.extras.get("question_words", frozenset())
    parts: list[tuple[str, bool]] = []
    for sentence in _SENTENCE.split(turn.message):
        clauses = [c.strip() for c in _CLAUSE.split(sentence) if c and c.strip()]
        for i, clause in enumerate(clauses):
            analysed = turn.pack.analyser.analyse(clause)
            asks = i == 0 or bool((set(analysed.tokens) | set(analysed.lemmas)) & asking)
            parts.append((clause, asks))
    return parts


def segments(turn: Turn, matcher: Matcher) -> list[IntentScore]:
    found: list[IntentScore] = []
    parts = clause_parts(turn)
    if len(parts) < 2:
        return []
    for part, asks in parts:
        analysed = turn.pack.analyser.analyse(part)
        if not analysed.tokens:
            continue
        text, ranked = rank(turn, matcher, analysed, part)
        if not any(w not in MASKS for w in text.split()):
            continue
        best = accept_top(turn, ranked)
        if best is None or best.intent == OFF_TOPIC or not turn.pack.intents[best.intent].combinable:
            continue
        if best.score < (SEGMENT_CONFIDENCE if asks else STRONG_SEGMENT):
            continue
        if not asks and sum(1 for t in analysed.tokens if not is_function_word(t)) < 2:
            continue  # «…, что делать?»: too little of its own to be a separate question
        consult = isinstance(turn.pack.intents[best.intent].answer, ConsultAnswer)
        if consult and any(isinstance(turn.pack.intents[f.intent].answer, ConsultAnswer) for f in found):
            continue  # one piece of advice per reply
        if all(f.intent != best.intent for f in found):
            found.append(best)
    if len(found) < 2:
        return []
    topics = {turn.pack.intents[f.intent].topic for f in found}
    owners = {t for t in topics if t and any(f.intent == t for f in found)}
    return [f for f in found if not (turn.pack.intents[f.intent].topic in owners and f.intent not in owners)]


def answer_all(turn: Turn, found: list[IntentScore], services: list[Service]) -> Outcome:
    texts: list[str] = []
    facts: list[str] = []
    for f in found:
        intent = turn.pack.intents[f.intent]
        if isinstance(intent.answer, BookingAnswer):
            texts.append(booking_step(turn, [s.id for s in services], offer_only=True).reply)
            continue
        result = answer_intent(turn, intent, services)
        if result:
            texts.append(result[0])
            facts.extend(result[1])
    turn.log(
        "intent",
        "multi",
        "several questions in one message",
        scores={f.intent: round(f.score, 3) for f in found},
        matched=[f.example for f in found],
    )
    turn.notes["topic"] = found[0].intent
    return Outcome("reply", "\n\n".join(dict.fromkeys(texts)), "multi", facts=tuple(dict.fromkeys(facts)))
