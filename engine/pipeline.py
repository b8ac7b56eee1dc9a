"""``decide``: the ordered stages from a customer's message to a reply or a hand-over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from config.compile.compiled import CompiledPack
from config.compile.masking import matching_text
from config.compile.templates import placeholders
from engine import rules_stage
from engine.hours import is_open
from engine.intent_stage import intent_stage
from engine.matcher import LexicalMatcher, Matcher
from engine.retrieval import Retriever
from engine.state import ConversationState
from engine.turn import Outcome, Turn
from engine.types import Decision, Effect

__all__ = ["DEFAULT_MATCHER", "decide"]

DEFAULT_MATCHER: Matcher = LexicalMatcher()
Stage = Callable[[Turn], Outcome | None]
_RULE_STAGES: dict[str, Stage] = {
    "shield": rules_stage.shield,
    "opt_out": rules_stage.opt_out,
    "human_request": rules_stage.human_request,
    "law": rules_stage.law,
    "gates": rules_stage.gates,
}
_QUIET_ACTIONS = ("reply", "booking_flow", "clarify")


def decide(
    pack: CompiledPack,
    state: ConversationState,
    message: str,
    now: datetime,
    *,
    matcher: Matcher | None = None,
    retriever: Retriever | None = None,
) -> Decision:
    """Decide one turn. Pure: the same pack, state, message and clock give the same Decision."""
    if now.tzinfo is None:
        raise ValueError(f"decide() needs an aware datetime, got naive {now.isoformat()}; pass tzinfo=UTC")
    local = now.astimezone(ZoneInfo(pack.source.tenant.timezone))
    analysed = pack.analyser.analyse(message)
    turn = Turn(
        pack=pack,
        state=msgspec.structs.replace(state, turn=state.turn + 1),
        message=message,
        now=now,
        local=local,
        analysed=analysed,
        matching_text=matching_text(analysed, pack.catalogue, pack.extras["stopwords"]),
        literal_text=matching_text(analysed, pack.catalogue, pack.extras["stopwords"], mask_services=False),
        retriever=retriever,
    )
    turn.log(
        "normalise",
        "pass",
        data={"text": analysed.text, "lemmas": analysed.lemma_text, "matching": turn.matching_text},
    )
    outcome: Outcome | None = None
    for name in pack.source.tenant.stages:
        if name == "normalise":
            continue
        if name == "intent":
            outcome = intent_stage(turn, matcher or DEFAULT_MATCHER)
        else:
            outcome = _RULE_STAGES[name](turn)
        if outcome is not None:
            break
    if outcome is None:
        outcome = Outcome("clarify", pack.templates["clarify"], "clarify")
    outcome = _muted(turn, outcome)
    outcome = _quiet_hours(turn, outcome)
    _carry_context(turn, outcome)
    booking = turn.notes.get("completed_booking") or turn.state.booking
    return Decision(
        action=outcome.action,
        reply=outcome.reply,
        intent=outcome.intent,
        reason=outcome.reason,
        facts_used=list(outcome.facts),
        booking_slots=booking.slots() if booking else {},
        effects=list(outcome.effects),
        state=turn.state,
        trace=turn.trace,
        pack_version=pack.version,
    )


def _muted(turn: Turn, outcome: Outcome) -> Outcome:
    if not turn.state.muted or outcome.intent == "opt_out":
        return outcome
    small_talk = {i.id for i in turn.pack.source.intents if i.small_talk} | {"off_topic", "clarify"}
    if outcome.action in ("escalate", "booking_flow") or (
        outcome.action == "reply" and outcome.intent not in small_talk
    ):
        turn.state = msgspec.structs.replace(turn.state, muted=False)
        turn.log("mute", "unmute", "the customer wrote again with a real request")
        return Outcome(
            outcome.action,
            outcome.reply,
            outcome.intent,
            outcome.reason,
            outcome.facts,
            (*outcome.effects, Effect(kind="unmute")),
        )
    turn.log("mute", "silent", "customer opted out; nothing to answer")
    return Outcome("silent", "", outcome.intent, "muted")


def _quiet_hours(turn: Turn, outcome: Outcome) -> Outcome:
    if not outcome.reply or is_open(turn.pack.source.tenant, turn.local):
        return outcome
    templates = turn.pack.templates
    notice = _quiet_notice(turn, outcome)
    if outcome.action in _QUIET_ACTIONS:
        reply = notice + "\n" + outcome.reply
    elif outcome.action == "escalate":
        reply = notice + "\n" + outcome.reply + " " + templates["escalation_eta_closed"]
    else:
        return outcome
    turn.log("quiet_hours", "notice", f"closed at {turn.local:%H:%M} local")
    return Outcome(outcome.action, reply, outcome.intent, outcome.reason, outcome.facts, outcome.effects)


def _quiet_notice(turn: Turn, outcome: Outcome) -> str:
    """The closed notice; its brief form when the reply already states what the full one would say."""
    templates = turn.pack.templates
    brief = templates.get("quiet_hours_brief")
    named = placeholders(turn.pack.source.templates.quiet_hours)
    if brief and named and set(named) <= set(outcome.facts):
        return brief
    return templates["quiet_hours"]


def _carry_context(turn: Turn, outcome: Outcome) -> None:
    state = turn.state
    mentioned = tuple(dict.fromkeys(m.service_id for m in turn.pack.catalogue.mentions(turn.analysed)))
    ttl = turn.pack.source.tenant.conversation.context_turns
    topic = turn.notes.get("topic", "")
    if mentioned:
        state = msgspec.structs.replace(state, last_services=mentioned, services_ttl=ttl)
    elif turn.notes.get("context_services_used") and outcome.action in ("reply", "booking_flow"):
        state = msgspec.structs.replace(state, services_ttl=ttl)
    elif state.services_ttl > 1:
        state = msgspec.structs.replace(state, services_ttl=state.services_ttl - 1)
    else:
        state = msgspec.structs.replace(state, last_services=(), services_ttl=0)
    if topic:
        state = msgspec.structs.replace(state, last_topic=topic, context_ttl=ttl)
    elif state.context_ttl > 1:
        state = msgspec.structs.replace(state, context_ttl=state.context_ttl - 1)
    else:
        state = msgspec.structs.replace(state, last_topic="", context_ttl=0)
    if outcome.action in ("reply", "booking_flow") and outcome.intent != "clarify":
        state = msgspec.structs.replace(state, clarify_count=0)
    if state.booking is not None and outcome.action != "booking_flow" and outcome.intent != "booking":
        left = state.booking.turns_left - 1
        booking = msgspec.structs.replace(state.booking, turns_left=left) if left > 0 else None
        state = msgspec.structs.replace(state, booking=booking)
    turn.state = state
