"""Stage 6 (with 7–9): intent and out-of-domain scoring, multi-question replies, booking, fallback."""

from __future__ import annotations

import re

import msgspec

from config.compile.compiled import OFF_TOPIC
from config.compile.masking import NUMBER_MASK, SERVICE_MASK, TIME_MASK, matching_text
from config.schema.catalogue import Service
from config.schema.intents import (
    BookingAnswer,
    ConsultAnswer,
    DurationAnswer,
    Intent,
    PriceAnswer,
    ServicePresenceAnswer,
    TemplateAnswer,
)
from config.text.analyse import Analysed
from config.text.morph import is_function_word, part_of_speech
from config.text.terms import Term, find_term
from engine.acceptance import accept
from engine.answers import answer_intent, unknown_words
from engine.booking import awaiting_name, booking_step, extract_name, extract_phone, has_booking_signal
from engine.matcher import IntentScore, Matcher
from engine.turn import Outcome, Turn
from engine.types import Effect

__all__ = ["intent_stage"]

_SPLIT = re.compile(r"[?!.;\n]+|,|\s(?:и|а также|также)\s", re.IGNORECASE)
_SENTENCE = re.compile(r"[?!.;\n]+")
_CLAUSE = re.compile(r",|\s(?:и|а также|также)\s", re.IGNORECASE)
CONFIDENT_ANSWER = 0.6
OVERRIDE_MARGIN = 0.2  # how much surer than its threshold and than the rule's match retrieval must be
SEGMENT_CONFIDENCE = 0.5  # a question inside a multi-question message must be clear on its own
STRONG_SEGMENT = 0.75  # a clause with no question word counts only when it matches an example almost exactly
SERVICE_ANSWERS = (PriceAnswer, DurationAnswer, ServicePresenceAnswer)
_MASKS = frozenset({SERVICE_MASK, TIME_MASK, NUMBER_MASK})


def _boost(turn: Turn, analysed: Analysed, ranked: list[IntentScore]) -> list[IntentScore]:
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


def _accept(turn: Turn, ranked: list[IntentScore]) -> IntentScore | None:
    return accept(ranked, turn.pack.threshold, turn.pack.source.thresholds.ambiguity_margin)


def _parts(turn: Turn) -> list[tuple[str, bool]]:
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


def _segments(turn: Turn, matcher: Matcher) -> list[IntentScore]:
    found: list[IntentScore] = []
    parts = _parts(turn)
    if len(parts) < 2:
        return []
    for part, asks in parts:
        analysed = turn.pack.analyser.analyse(part)
        if not analysed.tokens:
            continue
        text = matching_text(analysed, turn.pack.catalogue, turn.pack.extras["stopwords"])
        if not any(w not in _MASKS for w in text.split()):
            continue
        literal = matching_text(
            analysed, turn.pack.catalogue, turn.pack.extras["stopwords"], mask_services=False
        )
        ranked = _boost(turn, analysed, matcher.rank(turn.pack, text, literal, raw_text=part))
        best = _accept(turn, ranked)
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


def _services(turn: Turn) -> list[Service]:
    ids = list(dict.fromkeys(m.service_id for m in turn.pack.catalogue.mentions(turn.analysed)))
    if not ids and turn.state.last_services and not unknown_words(turn):
        ids = list(turn.state.last_services)
        turn.notes["services_from_context"] = True
    return [turn.pack.catalogue.services[i] for i in ids]


def _multi(turn: Turn, found: list[IntentScore], services: list[Service]) -> Outcome:
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


def _retrieve(turn: Turn, why: str) -> Outcome | None:
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


def _knowledge_instead(turn: Turn, intent: Intent, rule_score: float) -> Outcome | None:
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


def _fallback(turn: Turn, ranked: list[IntentScore]) -> Outcome:
    scores = {r.intent: round(r.score, 4) for r in ranked[:5]}
    if ranked and ranked[0].intent == OFF_TOPIC and ranked[0].score >= turn.pack.threshold(OFF_TOPIC):
        turn.log("intent", "off_topic", "out-of-domain anchor", scores=scores, matched=[ranked[0].example])
        return Outcome("reply", turn.pack.templates["ood_reply"], OFF_TOPIC)
    retrieved = _retrieve(turn, "no rule answered")
    if retrieved is not None:
        return retrieved
    limit = turn.pack.source.tenant.conversation.clarify_limit
    count = turn.state.clarify_count + 1
    turn.state = msgspec.structs.replace(turn.state, clarify_count=count)
    if count > limit:
        turn.log("intent", "escalate", f"clarify limit {limit} reached", scores=scores)
        return Outcome(
            "escalate",
            turn.pack.templates["clarify_escalate"],
            "clarify",
            "low_confidence",
            effects=(Effect(kind="handover", reason="low_confidence"),),
        )
    turn.log(
        "intent",
        "clarify",
        "no intent above its threshold",
        scores=scores,
        matched=[r.example for r in ranked[:3]],
        data={"replayable": not turn.notes.get("not_replayable", False)},
    )
    return Outcome("clarify", turn.pack.templates["clarify"], "clarify")


def _beyond_small_talk(
    turn: Turn, matcher: Matcher, top: IntentScore, ranked: list[IntentScore]
) -> tuple[IntentScore, list[IntentScore]]:
    """«Здравствуйте, можно на маникюр завтра?»: the greeting part must not hide the request."""
    parts = [p.strip() for p in _SPLIT.split(turn.message) if p and p.strip()]
    rest: list[str] = []
    for part in parts:
        analysed = turn.pack.analyser.analyse(part)
        text = matching_text(analysed, turn.pack.catalogue, turn.pack.extras["stopwords"])
        literal = matching_text(
            analysed, turn.pack.catalogue, turn.pack.extras["stopwords"], mask_services=False
        )
        ranked_part = matcher.rank(turn.pack, text, literal, raw_text=part)
        best = _accept(turn, _boost(turn, analysed, ranked_part))
        if best is None or best.intent == OFF_TOPIC or not turn.pack.intents[best.intent].small_talk:
            rest.append(part)
    if not rest or len(rest) == len(parts):
        return top, ranked
    analysed = turn.pack.analyser.analyse(" ".join(rest))
    text = matching_text(analysed, turn.pack.catalogue, turn.pack.extras["stopwords"])
    literal = matching_text(analysed, turn.pack.catalogue, turn.pack.extras["stopwords"], mask_services=False)
    rest_ranked = _boost(turn, analysed, matcher.rank(turn.pack, text, literal, raw_text=" ".join(rest)))
    rest_top = _accept(turn, rest_ranked)
    if rest_top is None or rest_top.intent == OFF_TOPIC:
        return top, ranked
    turn.log("intent", "beyond_small_talk", f"{top.intent} is small talk; the rest asks {rest_top.intent}")
    turn.notes["not_replayable"] = True
    return rest_top, rest_ranked


def _continues_booking(turn: Turn, top: IntentScore | None) -> bool:
    """The message feeds the booking in progress (unless it plainly asks something else)."""
    draft = turn.state.booking
    if draft is None or not has_booking_signal(turn):
        return False
    question = "?" in turn.message
    if extract_phone(turn.message) or (awaiting_name(turn) and extract_name(turn, awaiting=True)):
        return True
    mentions = turn.pack.catalogue.mentions(turn.analysed)
    if mentions and not question and (not draft.service or top is None or top.score < CONFIDENT_ANSWER):
        return True
    if top is None:
        return True
    if top.intent == OFF_TOPIC:
        return False
    if isinstance(turn.pack.intents[top.intent].answer, BookingAnswer):
        return True
    return not (question and top.score >= CONFIDENT_ANSWER)


def _bare_service(turn: Turn, services: list[Service]) -> Outcome | None:
    """A message that only names a service or price item («маникюр аппаратный», «а 3D?»): its prices."""
    content = [w for w in turn.matching_text.split() if w not in _MASKS]
    within = turn.state.last_services[0] if turn.state.last_services else None
    items = turn.pack.catalogue.item_matches(turn.analysed) or (
        turn.pack.catalogue.item_matches(turn.analysed, within=within) if within else []
    )
    if len(content) > 2 or not (items or (services and SERVICE_MASK in turn.matching_text)):
        return None
    price = next((i for i in turn.pack.source.intents if isinstance(i.answer, PriceAnswer)), None)
    result = answer_intent(turn, price, services) if price else None
    if price is None or result is None:
        return None
    turn.log(
        "intent", "service_follow_up", "the message names a service or price item", data={"items": len(items)}
    )
    turn.notes["topic"] = price.id
    return Outcome("reply", result[0], price.id, facts=result[1])


def intent_stage(turn: Turn, matcher: Matcher) -> Outcome:
    ranked = matcher.rank(turn.pack, turn.matching_text, turn.literal_text, raw_text=turn.message)
    ranked = _boost(turn, turn.analysed, ranked)
    services = _services(turn)
    scores = {r.intent: round(r.score, 4) for r in ranked[:5]}
    if "booking_note" in turn.notes:
        turn.log("intent", "booking", "a gate asked for booking intake", scores=scores)
        return booking_step(turn, [s.id for s in services])
    top = _accept(turn, ranked)
    asking: frozenset[str] = turn.pack.extras.get("question_words", frozenset())
    content = [w for w in turn.matching_text.split() if w not in asking]
    if top is not None and not content:
        turn.log("intent", "bare_question", "only question words: nothing to match", scores=scores)
        turn.notes["not_replayable"] = True
        top = None
    if top is not None and top.intent != OFF_TOPIC and turn.pack.intents[top.intent].small_talk:
        top, ranked = _beyond_small_talk(turn, matcher, top, ranked)
    if _continues_booking(turn, top):
        turn.log("intent", "booking", "continues the booking in progress", scores=scores)
        return booking_step(turn, [s.id for s in services])
    found = _segments(turn, matcher)
    if found:
        return _multi(turn, found, services)
    if top is None or top.intent == OFF_TOPIC:
        bare = _bare_service(turn, services) if top is None else None
        return bare or _fallback(turn, ranked)
    intent = turn.pack.intents[top.intent]
    turn.log(
        "intent",
        "match",
        top.intent,
        scores=scores,
        matched=[top.example],
        data={"replayable": not turn.notes.get("not_replayable", False)},
    )
    if isinstance(intent.answer, BookingAnswer):
        return booking_step(turn, [s.id for s in services])
    if isinstance(intent.answer, (TemplateAnswer, ConsultAnswer)) and (
        better := _knowledge_instead(turn, intent, top.score)
    ):
        return better
    result = answer_intent(turn, intent, services)
    if result is None:
        return _fallback(turn, ranked)
    turn.notes["topic"] = intent.id
    if turn.notes.get("services_from_context") and isinstance(intent.answer, SERVICE_ANSWERS):
        turn.notes["context_services_used"] = True
    if intent.ends_booking and turn.state.booking is not None:
        turn.state = msgspec.structs.replace(turn.state, booking=None)
        turn.log("booking", "dropped", f"{intent.id} ends the booking in progress")
    answered = turn.notes.get("answered_as", intent.id)
    turn.notes["topic"] = answered
    return Outcome("reply", result[0], answered, facts=result[1])
