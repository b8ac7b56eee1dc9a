"""Stage 6 (with 7–9): intent and out-of-domain scoring, multi-question replies, booking, fallback."""

from __future__ import annotations

import msgspec

from config.compile.compiled import OFF_TOPIC
from config.compile.masking import SERVICE_MASK
from config.schema.catalogue import Service
from config.schema.intents import (
    BookingAnswer,
    ConsultAnswer,
    DurationAnswer,
    PriceAnswer,
    ServicePresenceAnswer,
    TemplateAnswer,
)
from engine.answers import answer_intent, unknown_words
from engine.booking import awaiting_name, booking_step, extract_name, extract_phone, has_booking_signal
from engine.knowledge import knowledge_instead, retrieve
from engine.matcher import IntentScore, Matcher
from engine.multi_question import MASKS, SPLIT, answer_all, segments
from engine.scoring import accept_top, boost, rank, set_aside_other_services
from engine.turn import Outcome, Turn
from engine.types import Effect

__all__ = ["intent_stage"]

CONFIDENT_ANSWER = 0.6
SERVICE_ANSWERS = (PriceAnswer, DurationAnswer, ServicePresenceAnswer)


def _services(turn: Turn) -> list[Service]:
    ids = list(dict.fromkeys(m.service_id for m in turn.pack.catalogue.mentions(turn.analysed)))
    if not ids and turn.state.last_services and not unknown_words(turn):
        ids = list(turn.state.last_services)
        turn.notes["services_from_context"] = True
    return [turn.pack.catalogue.services[i] for i in ids]


def _fallback(turn: Turn, ranked: list[IntentScore]) -> Outcome:
    scores = {r.intent: round(r.score, 4) for r in ranked[:5]}
    if ranked and ranked[0].intent == OFF_TOPIC and ranked[0].score >= turn.pack.threshold(OFF_TOPIC):
        turn.log("intent", "off_topic", "out-of-domain anchor", scores=scores, matched=[ranked[0].example])
        return Outcome("reply", turn.pack.templates["ood_reply"], OFF_TOPIC)
    retrieved = retrieve(turn, "no rule answered")
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
    parts = [p.strip() for p in SPLIT.split(turn.message) if p and p.strip()]
    rest: list[str] = []
    for part in parts:
        best = accept_top(turn, rank(turn, matcher, turn.pack.analyser.analyse(part), part)[1])
        if best is None or best.intent == OFF_TOPIC or not turn.pack.intents[best.intent].small_talk:
            rest.append(part)
    if not rest or len(rest) == len(parts):
        return top, ranked
    joined = " ".join(rest)
    rest_ranked = rank(turn, matcher, turn.pack.analyser.analyse(joined), joined)[1]
    rest_top = accept_top(turn, rest_ranked)
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
    content = [w for w in turn.matching_text.split() if w not in MASKS]
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
    ranked = boost(turn, turn.analysed, ranked)
    kept = set_aside_other_services(turn, turn.analysed, ranked)
    if len(kept) < len(ranked):
        turn.log(
            "intent",
            "pass",
            "intents about other services than the message names set aside",
            data={"set_aside": sorted({r.intent for r in ranked} - {r.intent for r in kept})},
        )
        ranked = kept
    services = _services(turn)
    scores = {r.intent: round(r.score, 4) for r in ranked[:5]}
    if "booking_note" in turn.notes:
        turn.log("intent", "booking", "a gate asked for booking intake", scores=scores)
        return booking_step(turn, [s.id for s in services])
    top = accept_top(turn, ranked)
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
    found = segments(turn, matcher)
    if found:
        return answer_all(turn, found, services)
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
        better := knowledge_instead(turn, intent, top.score)
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
