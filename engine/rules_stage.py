"""Stages 2–5: shield, opt-out, explicit human request, LAW topics, policy gates."""

from __future__ import annotations

import re

import msgspec

from config.schema.rules import BookingNote, EscalateAction, MinutesLimit, ReplyAction
from engine.turn import Outcome, Turn
from engine.types import Effect

__all__ = ["gates", "human_request", "law", "opt_out", "shield", "stated_minutes"]

_MINUTES = re.compile(r"(\d{1,3})\s*(?:мин|минут)|мин\w*\s+на\s+(\d{1,3})")
_HOURS = re.compile(r"(\d{1,2})\s*(?:час)")


def shield(turn: Turn) -> Outcome | None:
    settings = turn.pack.source.tenant.shield
    stamp = turn.now.timestamp()
    recent = (*(t for t in turn.state.recent if stamp - t <= settings.burst_seconds), stamp)
    texts = (*turn.state.recent_texts[-(settings.burst_messages - 1) :], turn.analysed.text)
    turn.state = msgspec.structs.replace(
        turn.state, recent=recent[-settings.burst_messages :], recent_texts=texts
    )
    if len(turn.message) > settings.max_chars:
        turn.log(
            "shield",
            settings.long_message_action,
            f"message of {len(turn.message)} chars > {settings.max_chars}",
        )
        return _shield_outcome(turn, settings.long_message_action, "too_long")
    repeats = sum(1 for t in texts if t == turn.analysed.text) if turn.analysed.text else 0
    if len(recent) >= settings.burst_messages or repeats >= 3:
        turn.log(
            "shield",
            settings.burst_action,
            f"burst: {len(recent)} messages in {settings.burst_seconds}s, {repeats} repeats",
        )
        return _shield_outcome(turn, settings.burst_action, "burst")
    if turn.pack.abuse is not None and (hit := turn.pack.abuse.match(turn.analysed)):
        turn.log("shield", settings.abuse_action, "abuse", matched=[hit])
        return _shield_outcome(turn, settings.abuse_action, "abuse")
    turn.log("shield", "pass")
    return None


def _shield_outcome(turn: Turn, action: str, why: str) -> Outcome:
    if action == "drop":
        return Outcome("drop", "", "shield", why)
    reply = turn.pack.templates["shield_escalate"]
    return Outcome("escalate", reply, "shield", why, effects=(Effect(kind="handover", reason=why),))


def opt_out(turn: Turn) -> Outcome | None:
    rule = turn.pack.source.policies.opt_out
    if hit := turn.pack.opt_out.match(turn.analysed):
        turn.log("opt_out", "mute", "customer asked not to be written to", matched=[hit])
        turn.state = msgspec.structs.replace(turn.state, muted=True, booking=None)
        return Outcome(
            "reply", _facts(turn, rule.reply), "opt_out", "opt_out", effects=(Effect(kind="mute"),)
        )
    turn.log("opt_out", "pass")
    return None


def human_request(turn: Turn) -> Outcome | None:
    rule = turn.pack.source.policies.human_request
    if hit := turn.pack.human_request.match(turn.analysed):
        turn.log("human_request", "escalate", "explicit request for a human", matched=[hit])
        return Outcome(
            "escalate",
            _facts(turn, rule.reply),
            "human_request",
            "human_request",
            effects=(Effect(kind="handover", reason="human_request"),),
        )
    turn.log("human_request", "pass")
    return None


def law(turn: Turn) -> Outcome | None:
    for topic, trigger in turn.pack.law:
        if hit := trigger.match(turn.analysed):
            turn.log("law", "escalate", topic.reason, matched=[hit], data={"topic": topic.id})
            return Outcome(
                "escalate",
                _facts(turn, topic.reply),
                topic.id,
                topic.reason,
                effects=(Effect(kind="handover", reason=topic.id),),
            )
    turn.log("law", "pass")
    return None


_NUMBER_WORDS = {
    "пять": 5,
    "десять": 10,
    "пятнадцать": 15,
    "двадцать": 20,
    "двадцать пять": 25,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "полтора часа": 90,
    "два часа": 120,
}
_WORD_MINUTES = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")


def stated_minutes(text: str) -> int | None:
    """Minutes a customer states: «на 10 минут», «минут на 10», «на сорок минут», «на полчаса», «на час»."""
    if m := _WORD_MINUTES.search(text):
        return _NUMBER_WORDS[m.group(1)]
    if m := _MINUTES.search(text):
        return int(m.group(1) or m.group(2))
    if "полчаса" in text:
        return 30
    if m := _HOURS.search(text):
        return 60 * int(m.group(1))
    if re.search(r"\bчас\b", text):
        return 60
    return None


def gates(turn: Turn) -> Outcome | None:
    pending = turn.state.pending_gate
    if pending:
        turn.state = msgspec.structs.replace(turn.state, pending_gate="")
    for gate, trigger in turn.pack.gates:
        hit = trigger.match(turn.analysed) if trigger else None
        if not hit and gate.id == pending and stated_minutes(turn.analysed.text) is not None:
            hit = f"answer to {gate.id}"
        if not hit:
            continue
        action = gate.action
        data: dict[str, object] = {"gate": gate.id}
        if isinstance(action, EscalateAction):
            turn.log("gates", "escalate", gate.reason, matched=[hit], data=data)
            return Outcome(
                "escalate",
                _facts(turn, action.reply),
                gate.id,
                gate.reason,
                effects=(Effect(kind="handover", reason=gate.id),),
            )
        if isinstance(action, ReplyAction):
            turn.log("gates", "reply", gate.reason, matched=[hit], data=data)
            return Outcome("reply", _facts(turn, action.reply), gate.id, gate.reason)
        if isinstance(action, MinutesLimit):
            minutes = stated_minutes(turn.analysed.text)
            data["minutes"] = minutes if minutes is not None else "unknown"
            if minutes is not None and minutes > action.tolerated:
                turn.log("gates", "escalate", gate.reason, matched=[hit], data=data)
                return Outcome(
                    "escalate",
                    _facts(turn, action.over_reply),
                    gate.id,
                    gate.reason,
                    effects=(Effect(kind="handover", reason=gate.id),),
                )
            reply = action.within_reply if minutes is not None else action.unknown_reply
            if minutes is None:
                turn.state = msgspec.structs.replace(turn.state, pending_gate=gate.id)
            turn.log("gates", "reply", gate.reason, matched=[hit], data=data)
            return Outcome("reply", _facts(turn, reply), gate.id, gate.reason)
        if isinstance(action, BookingNote):
            turn.notes["booking_note"] = (gate.id, _facts(turn, action.note), gate.reason)
            turn.log("gates", "booking_note", gate.reason, matched=[hit], data=data)
            return None
    turn.log("gates", "pass")
    return None


def _facts(turn: Turn, template: str) -> str:
    from config.compile.templates import resolve_facts

    return resolve_facts(template, turn.pack.source.facts)[0]
