"""Checking one turn's Decision against a case's ``expected``."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from config.compile.compiled import CompiledPack
from config.schema.battery import Expected
from engine.types import Decision

__all__ = ["MUST_DO", "TurnCheck", "allowed_intents", "check_turn"]


def _asks_missing(d: Decision, pack: CompiledPack) -> bool:
    asks = [
        pack.templates[k]
        for k in (
            "booking_ask_service",
            "booking_ask_datetime",
            "booking_ask_time",
            "booking_ask_name",
            "booking_ask_phone",
        )
    ]
    return any(a in d.reply for a in asks)


def _closed_notice(d: Decision, p: CompiledPack) -> bool:
    """The full closed notice, or its brief form opening a reply that already states the hours."""
    brief = p.templates.get("quiet_hours_brief")
    return p.templates["quiet_hours"] in d.reply or bool(brief and d.reply.startswith(brief + "\n"))


MUST_DO: dict[str, Callable[[Decision, CompiledPack], bool]] = {
    "ask_fields_missing": _asks_missing,
    "escalate": lambda d, p: d.action == "escalate",
    "handover": lambda d, p: any(e.kind == "handover" for e in d.effects),
    "booking_request": lambda d, p: any(e.kind == "booking_request" for e in d.effects),
    "offer_booking": lambda d, p: p.templates["price_offer_booking"] in d.reply,
    "quiet_hours_notice": lambda d, p: _closed_notice(d, p),
    "no_price": lambda d, p: p.source.catalogue.currency not in d.reply,
    "mute": lambda d, p: any(e.kind == "mute" for e in d.effects),
}


class TurnCheck(msgspec.Struct, frozen=True, kw_only=True):
    failures: list[str]
    optional_missed: list[str]
    intent_agrees: bool | None


def allowed_intents(label: str, pack: CompiledPack) -> set[str]:
    return {label, *pack.source.tenant.intent_aliases.get(label, [])}


def _trace_has(d: Decision, wanted: dict[str, object]) -> bool:
    for entry in d.trace:
        raw = msgspec.structs.asdict(entry)
        flat = {**raw, **raw.get("data", {})}
        if all(
            str(flat.get(k)) == str(v) or (isinstance(flat.get(k), list) and v in flat[k])
            for k, v in wanted.items()
        ):
            return True
    return False


def check_turn(
    expected: Expected | None, d: Decision, pack: CompiledPack, *, strict_intents: bool
) -> TurnCheck:
    """Every failed assertion as a readable line; ``intent_agrees`` is None when no intent is expected."""
    if expected is None:
        return TurnCheck(failures=[], optional_missed=[], intent_agrees=None)
    reply = d.reply.lower()
    bad: list[str] = []
    if expected.action and expected.action != d.action:
        bad.append(f"action: expected {expected.action}, got {d.action}")
    agrees: bool | None = None
    if expected.intent:
        agrees = d.intent in allowed_intents(expected.intent, pack)
        if not agrees and strict_intents:
            bad.append(f"intent: expected {expected.intent}, got {d.intent}")
    if expected.reason and expected.reason.lower() != d.reason.lower() and expected.reason != d.intent:
        bad.append(f"reason: expected {expected.reason!r}, got {d.reason!r}")
    for s in [*expected.must_include, *expected.must_tell_user]:
        if str(s).lower() not in reply:
            bad.append(f"reply lacks {s!r}")
    for key in ("must_include_any", "must_tell_user_any"):
        options = getattr(expected, key)
        if options and not any(str(s).lower() in reply for s in options):
            bad.append(f"reply has none of {options}")
    for s in expected.must_not:
        if str(s).lower() in reply:
            bad.append(f"reply must not contain {s!r}")
    for s in expected.collect:
        if str(s).lower() not in reply:
            bad.append(f"reply does not ask for {s!r}")
    for name in expected.must_do:
        check = MUST_DO.get(name)
        if check is None:
            bad.append(f"unknown must_do {name!r}; known: {sorted(MUST_DO)}")
        elif not check(d, pack):
            bad.append(f"must_do {name} not done")
    for slot in expected.booking_slots:
        if not d.booking_slots.get(slot):
            bad.append(f"booking slot {slot!r} not filled (have {sorted(d.booking_slots)})")
    for wanted in expected.trace_contains:
        if not _trace_has(d, wanted):
            bad.append(f"trace lacks an entry with {wanted}")
    missed = [s for s in expected.optional if str(s).lower() not in reply]
    return TurnCheck(failures=bad, optional_missed=missed, intent_agrees=agrees)
