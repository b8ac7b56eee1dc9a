"""Run battery cases through the engine in-process and record every turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from config.compile.compiled import CompiledPack
from config.schema.battery import Case
from engine import ConversationState, decide
from engine.matcher import Matcher
from engine.retrieval import Retriever
from evals.checks import check_turn

__all__ = ["DEFAULT_DATE", "CaseResult", "TurnResult", "run_case", "run_cases"]

DEFAULT_DATE = date(2026, 3, 4)  # a Wednesday: a normal working day
DEFAULT_TIME = "12:00"
TURN_GAP = timedelta(seconds=40)
BURST_GAP = timedelta(seconds=1)


class TurnResult(msgspec.Struct, frozen=True, kw_only=True):
    user: str
    reply: str
    action: str
    intent: str
    reason: str
    booking_slots: dict[str, str]
    facts_used: list[str]
    trace: list[dict[str, object]]
    failures: list[str]
    optional_missed: list[str]
    intent_agrees: bool | None
    checked: bool


class CaseResult(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    battery: str
    tier: str
    tags: list[str]
    passed: bool
    expected_action: str | None
    turns: list[TurnResult]
    notes: str = ""


def _start(case: Case, pack: CompiledPack) -> datetime:
    day = date.fromisoformat(case.local_date) if case.local_date else DEFAULT_DATE
    hh, mm = (case.local_time or DEFAULT_TIME).split(":")
    local = datetime(
        day.year, day.month, day.day, int(hh), int(mm), tzinfo=ZoneInfo(pack.source.tenant.timezone)
    )
    return local


def run_case(
    case: Case,
    pack: CompiledPack,
    battery: str,
    *,
    strict_intents: bool,
    matcher: Matcher | None = None,
    retriever: Retriever | None = None,
) -> CaseResult:
    turns = case.user_turns()
    now = _start(case, pack)
    gap = BURST_GAP if case.messages is not None else TURN_GAP
    state = ConversationState()
    results: list[TurnResult] = []
    for i, turn in enumerate(turns):
        d = decide(pack, state, turn.user, now + gap * i, matcher=matcher, retriever=retriever)
        state = d.state
        last = i == len(turns) - 1
        expected = case.expected if last and turn.expected is None else turn.expected
        if last and turn.expected is not None and case.expected is not None:
            merged = {**msgspec.structs.asdict(turn.expected)}
            for k, v in msgspec.structs.asdict(case.expected).items():
                if v:
                    merged[k] = v
            expected = msgspec.convert(merged, type(case.expected))
        check = check_turn(expected, d, pack, strict_intents=strict_intents)
        results.append(
            TurnResult(
                user=turn.user,
                reply=d.reply,
                action=d.action,
                intent=d.intent,
                reason=d.reason,
                booking_slots=d.booking_slots,
                facts_used=d.facts_used,
                trace=[msgspec.to_builtins(t) for t in d.trace],
                failures=check.failures,
                optional_missed=check.optional_missed,
                intent_agrees=check.intent_agrees,
                checked=expected is not None,
            )
        )
    final = case.expected or (turns[-1].expected if turns else None)
    return CaseResult(
        id=case.id,
        battery=battery,
        tier=case.tier,
        tags=list(case.tags),
        passed=all(not t.failures for t in results),
        expected_action=final.action if final else None,
        turns=results,
        notes=case.notes,
    )


def run_cases(
    cases: list[tuple[str, Case]],
    pack: CompiledPack,
    *,
    strict_intents: bool,
    matcher: Matcher | None = None,
    retriever: Retriever | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseResult]:
    """Run cases in order (one process: a 500-case battery takes about a second, so parallel
    workers would cost more in start-up than they save); ``progress(done, total)`` after each."""
    out: list[CaseResult] = []
    for battery, c in cases:
        out.append(
            run_case(c, pack, battery, strict_intents=strict_intents, matcher=matcher, retriever=retriever)
        )
        if progress is not None:
            progress(len(out), len(cases))
    return out
