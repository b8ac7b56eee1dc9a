"""Stage 7: booking intake — service, date/time, name, phone; a manager confirms, never the bot."""

from __future__ import annotations

import re
from datetime import date

import msgspec

from config.compile.templates import fill
from config.text.morph import is_function_word, is_name
from config.text.when import When, find_when, format_when
from engine.state import BookingDraft
from engine.turn import Outcome, Turn
from engine.types import Effect

__all__ = ["awaiting_name", "booking_step", "extract_name", "extract_phone", "has_booking_signal"]

_PHONE = re.compile(r"(?:\+?7|8)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}")
_WORD = r"([A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі\-]{2,30})"
_NAME_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"меня зовут\s+{_WORD}",
        rf"меня\s+{_WORD}\s+зовут",
        rf"{_WORD}\s+меня зовут",
        rf"мо[её] имя\s+{_WORD}",
        rf"имя\s*[:\-—]?\s*{_WORD}",
        rf"^\s*я\s*[-—]?\s*{_WORD}\s*[.!]?\s*$",
        rf"^\s*я\s+{_WORD}\s*,",
        rf"^\s*это\s+{_WORD}\s*[.!]?\s*$",
        rf"атым\s+{_WORD}",
        rf"{_WORD}\s+атым",
    )
)
_SERVICE_AFTER = ("на", "в")


def extract_phone(text: str) -> str:
    m = _PHONE.search(text)
    if not m:
        return ""
    digits = re.sub(r"\D", "", m.group(0))
    digits = "7" + digits[1:] if digits.startswith("8") else digits
    return f"+{digits[0]} {digits[1:4]} {digits[4:7]} {digits[7:9]} {digits[9:11]}"


def _plausible_name(turn: Turn, word: str) -> bool:
    """A word can be a name when the pack's vocabulary, catalogue and dates don't explain it."""
    low = word.lower()
    analysed = turn.pack.analyser.analyse(low)
    if not analysed.lemmas:
        return False
    lem = analysed.lemmas[0]
    vocab: frozenset[str] = turn.pack.extras.get("question_vocab", frozenset())
    stop: frozenset[str] = turn.pack.extras.get("stopwords", frozenset())
    if lem in vocab or lem in stop or is_function_word(low) or turn.pack.catalogue.mentions(analysed):
        return False
    return find_when(analysed, turn.local).empty


def extract_name(turn: Turn, awaiting: bool) -> str:
    """A name introduced explicitly («меня зовут Сауле»), or a bare name when the bot asked for it."""
    for pattern in _NAME_PATTERNS:
        m = pattern.search(turn.message)
        if m and _plausible_name(turn, m.group(1)) and (awaiting or is_name(m.group(1))):
            return m.group(1).capitalize()
    if not awaiting or extract_phone(turn.message) or not find_when(turn.analysed, turn.local).empty:
        return ""
    words = re.findall(r"[^\W\d_]+", turn.message)
    plausible = 1 <= len(words) <= 2 and all(_plausible_name(turn, w) for w in words)
    if plausible and (is_name(words[0]) or words[0][:1].isupper() or len(words) == 1):
        return " ".join(w.capitalize() for w in words)
    return ""


def awaiting_name(turn: Turn) -> bool:
    draft = turn.state.booking
    return bool(draft and draft.service and draft.when_text and not draft.name)


def _unknown_service(turn: Turn, when: When) -> str:
    """The phrase after «на» in a booking request when it names no catalogue service."""
    taken = {i for s, e in when.spans for i in range(s, e)}
    toks = turn.analysed.tokens
    vocab: frozenset[str] = turn.pack.extras.get("question_vocab", frozenset())
    for i, tok in enumerate(toks):
        if tok in _SERVICE_AFTER and i + 1 < len(toks) and i + 1 not in taken:
            words = []
            for j in range(i + 1, min(len(toks), i + 4)):
                if j in taken or toks[j] in _SERVICE_AFTER or toks[j].isdigit():
                    break
                words.append(toks[j])
            generic = turn.pack.catalogue.generic
            content = [
                w
                for k, w in enumerate(words)
                if (lem := turn.analysed.lemmas[i + 1 + k]) not in vocab
                and lem not in generic
                and not is_function_word(w)
            ]
            if content:
                return " ".join(words)
    return ""


def has_booking_signal(turn: Turn) -> bool:
    """True when the message carries what the booking in progress lacks."""
    draft = turn.state.booking
    if draft is None:
        return False
    if not find_when(turn.analysed, turn.local).empty or extract_phone(turn.message):
        return True
    if turn.pack.catalogue.mentions(turn.analysed):
        return True
    return awaiting_name(turn) and bool(extract_name(turn, True))


def booking_step(turn: Turn, services: list[str], offer_only: bool = False) -> Outcome:
    """Merge what this message says into the draft and ask for the next missing thing."""
    pack = turn.pack
    templates = pack.templates
    draft = turn.state.booking or BookingDraft()
    when = find_when(turn.analysed, turn.local)
    names = [pack.catalogue.services[s].name.lower() for s in services]
    if names:
        draft = msgspec.structs.replace(draft, service=" и ".join(names), service_known=True)
    elif not draft.service and (raw := _unknown_service(turn, when)):
        draft = msgspec.structs.replace(draft, service=raw, service_known=False)
    elif not draft.service and turn.state.last_services:
        last = " и ".join(pack.catalogue.services[s].name.lower() for s in turn.state.last_services)
        draft = msgspec.structs.replace(draft, service=last, service_known=True)
    if not when.empty:
        day = when.day.isoformat() if when.day else draft.day
        time = when.time or ("" if when.part else draft.time)
        part = when.part or ("" if when.time else draft.part)
        merged = When(
            day=date.fromisoformat(day) if day else None,
            weekend=when.weekend,
            week=when.week,
            time=time or None,
            part=part or None,
        )
        text = format_when(merged, turn.local.date())
        draft = msgspec.structs.replace(draft, day=day, time=time, part=part, when_text=text)
        if when.day == turn.local.date() and "booking_note" not in turn.notes:
            for gate, _trigger in pack.gates:
                if gate.same_day_booking:
                    from config.compile.templates import resolve_facts
                    from config.schema.rules import BookingNote

                    if isinstance(gate.action, BookingNote):
                        same_day = resolve_facts(gate.action.note, pack.source.facts)[0]
                        turn.notes["booking_note"] = (gate.id, same_day, gate.reason)
                        turn.log(
                            "gates", "booking_note", gate.reason, data={"gate": gate.id, "same_day": True}
                        )
    if not draft.name and (name := extract_name(turn, awaiting_name(turn))):
        draft = msgspec.structs.replace(draft, name=name)
    if not draft.phone and (phone := extract_phone(turn.message)):
        draft = msgspec.structs.replace(draft, phone=phone)
    note = turn.notes.get("booking_note")
    if note:
        draft = msgspec.structs.replace(draft, urgent=True)
    draft = msgspec.structs.replace(draft, turns_left=pack.source.tenant.conversation.booking_turns)
    prefix = (note[1] + " ") if note else ""
    if not draft.service_known and draft.service:
        prefix += fill(templates["booking_unknown_service"], {"service": draft.service}) + " "
    intent = note[0] if note else "booking"
    if offer_only:
        turn.state = msgspec.structs.replace(turn.state, booking=draft)
        return Outcome("reply", templates["booking_offer"], "booking")
    if not draft.service:
        turn.state = msgspec.structs.replace(turn.state, booking=draft)
        turn.log("booking", "ask", "service missing", data={"slots": draft.slots()})
        return Outcome("reply", prefix + templates["booking_ask_service"], intent, note[2] if note else "")
    missing = [
        k for k, v in (("datetime", draft.when_text), ("name", draft.name), ("phone", draft.phone)) if not v
    ]
    turn.log(
        "booking",
        "ask" if missing else "complete",
        f"missing: {missing}" if missing else "all slots",
        data={"slots": draft.slots()},
    )
    if missing:
        turn.state = msgspec.structs.replace(turn.state, booking=draft)
        ask = {"datetime": "booking_ask_datetime", "name": "booking_ask_name", "phone": "booking_ask_phone"}
        key = ask[missing[0]]
        if missing[0] == "datetime" and draft.day and not draft.time:
            key = "booking_ask_time"
        return Outcome("booking_flow", prefix + templates[key], intent, note[2] if note else "")
    summary = ", ".join(x for x in (draft.service, draft.when_text, draft.name, draft.phone) if x)
    turn.state = msgspec.structs.replace(turn.state, booking=None)
    turn.notes["completed_booking"] = draft
    reply = prefix + fill(templates["booking_handed_over"], {"summary": summary})
    effect = Effect(kind="booking_request", urgent=draft.urgent, data=draft.slots())
    return Outcome("booking_flow", reply, intent, note[2] if note else "", effects=(effect,))
