"""Threshold calibration from ONE scoring pass.

Every battery case runs once; for each checked turn the intent stage's ranked scores are kept. A
threshold setting is then evaluated without running the engine again: the acceptance rule
(``engine.acceptance.accept``) is replayed on the cached scores. Turns decided before the intent
stage (LAW, gates, shield, booking continuation, multi-question replies) keep their result. Where a
setting changes a turn's outcome, the new outcome is judged by its intent and action only (the
reply's wording is not recomputed), so rates are estimates to confirm with a real ``truffles eval``.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from config.compile.compiled import OFF_TOPIC, CompiledPack
from config.schema.battery import Case, Expected
from engine.acceptance import CONFIDENT_MARGIN, accept
from evals.checks import allowed_intents
from evals.runner import CaseResult, run_cases

__all__ = [
    "WRONG_ANSWER_COST",
    "CalibrationSet",
    "Outcome",
    "Setting",
    "SweepPoint",
    "collect",
    "default_grid",
    "evaluate",
    "propose",
]

WRONG_ANSWER_COST = 5.0  # answering wrongly costs this many needless clarifications/escalations
SAFETY_COST = 10.0  # answering what should have escalated or been turned away (LAW/OOD)
INTENT_STAGE_DECISIONS = ("match", "clarify", "off_topic")


class Setting(msgspec.Struct, frozen=True, kw_only=True):
    intent: float
    ood: float
    ambiguity_margin: float
    per_intent: dict[str, float] = msgspec.field(default_factory=dict)
    retrieval: float | None = None  # set when a long-tail battery calibrated it

    def threshold(self, intent: str) -> float:
        if intent == OFF_TOPIC:
            return self.ood
        return self.per_intent.get(intent, self.intent)


class Candidate(msgspec.Struct, frozen=True, array_like=True):
    intent: str
    score: float


class Outcome(msgspec.Struct, frozen=True, array_like=True):
    kind: str  # answer | off_topic | clarify
    intent: str


class TurnScores(msgspec.Struct, frozen=True, kw_only=True):
    case_id: str
    turn: int
    ranked: list[Candidate]
    original: Outcome
    original_passed: bool
    expected_action: str | None
    expected_labels: list[str]
    safety: bool


class CalibrationSet(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a sweep needs: one entry per checked turn decided by the intent stage."""

    pack_version: str
    turns: list[TurnScores]
    case_turns: dict[str, list[bool]]  # every checked turn's original pass, per case
    index: dict[str, list[tuple[int, int]]]  # case id -> (turn number, position in ``turns``)
    current: Setting


class SweepPoint(msgspec.Struct, frozen=True, kw_only=True):
    setting: Setting
    pass_rate: float
    wrong_answer_rate: float
    needless_clarify_rate: float
    clarify_rate: float
    cost: float
    changed: int


def _expected_for(case: Case, turn: int) -> Expected | None:
    turns = case.user_turns()
    exp = turns[turn].expected
    if turn == len(turns) - 1 and case.expected is not None:
        return case.expected
    return exp


def _intent_entry(trace: list[dict[str, object]]) -> dict[str, object] | None:
    entries = [e for e in trace if e.get("stage") == "intent"]
    if not entries or entries[-1].get("decision") not in INTENT_STAGE_DECISIONS:
        return None
    data = entries[-1].get("data") or {}
    if isinstance(data, dict) and data.get("replayable") is False:
        return None  # decided by a rule beside the thresholds (small talk, bare question words)
    if any(e.get("decision") in ("beyond_small_talk", "bare_question") for e in entries):
        return None
    return entries[-1]


def collect(pack: CompiledPack, cases: list[tuple[str, Case]]) -> CalibrationSet:
    """Run every case once and keep, per checked turn, what the threshold replay needs."""
    results: list[CaseResult] = run_cases(cases, pack, strict_intents=True)
    turns: list[TurnScores] = []
    case_turns: dict[str, list[bool]] = {}
    index: dict[str, list[tuple[int, int]]] = {}
    law = {t.id for t in pack.source.law}
    for (_, case), result in zip(cases, results, strict=True):
        case_turns[case.id] = [not t.failures for t in result.turns if t.checked]
        for n, turn in enumerate(result.turns):
            entry = _intent_entry(turn.trace)
            exp = _expected_for(case, n)
            if entry is None or exp is None or not turn.checked:
                continue
            scores = entry.get("scores") or {}
            assert isinstance(scores, dict)
            ranked = sorted((Candidate(str(k), float(v)) for k, v in scores.items()), key=lambda c: -c.score)
            kind = {"match": "answer", "off_topic": "off_topic"}.get(str(entry["decision"]), "clarify")
            labels = sorted(allowed_intents(exp.intent, pack)) if exp.intent else []
            safety = exp.action == "escalate" or OFF_TOPIC in labels or bool(set(labels) & law)
            index.setdefault(case.id, []).append((sum(1 for t in result.turns[:n] if t.checked), len(turns)))
            turns.append(
                TurnScores(
                    case_id=case.id,
                    turn=n,
                    ranked=ranked,
                    original=Outcome(kind, str(entry.get("reason")) if kind == "answer" else kind),
                    original_passed=not turn.failures,
                    expected_action=exp.action,
                    expected_labels=labels,
                    safety=safety,
                )
            )
    th = pack.source.thresholds
    current = Setting(
        intent=th.intent, ood=th.ood, ambiguity_margin=th.ambiguity_margin, per_intent=dict(th.per_intent)
    )
    return CalibrationSet(
        pack_version=pack.version, turns=turns, case_turns=case_turns, index=index, current=current
    )


def _replay(turn: TurnScores, setting: Setting) -> Outcome:
    """What the engine's intent stage decides for this turn under ``setting``."""
    top = accept(turn.ranked, setting.threshold, setting.ambiguity_margin)
    if top is None:
        first = turn.ranked[0] if turn.ranked else None
        if first is not None and first.intent == OFF_TOPIC and first.score >= setting.ood:
            return _OFF_TOPIC  # as the engine's fallback: an OOD anchor above its bar
        return _CLARIFY
    return _OFF_TOPIC if top.intent == OFF_TOPIC else Outcome("answer", top.intent)


def _judge(turn: TurnScores, outcome: Outcome) -> str:
    """``pass``, ``wrong`` (answered wrongly) or ``missed`` (clarified/turned away needlessly)."""
    labels = set(turn.expected_labels)
    if outcome.kind == "clarify":
        return "pass" if turn.expected_action == "clarify" or "clarify" in labels else "missed"
    if outcome.kind == "off_topic":
        if OFF_TOPIC in labels:
            return "pass"
        return "missed" if turn.expected_action in (None, "reply", "booking_flow") else "wrong"
    if turn.expected_action in ("clarify", "escalate") or OFF_TOPIC in labels:
        return "wrong"
    return "pass" if not labels or outcome.intent in labels else "wrong"


class _Prepared:
    """Per-turn facts a replay needs, precomputed once per CalibrationSet (sweeps call evaluate often)."""

    def __init__(self, cset: CalibrationSet) -> None:
        self.top: list[tuple[str, float, float]] = []  # top intent, its score, best rival's score
        for turn in cset.turns:
            first = turn.ranked[0] if turn.ranked else Candidate("", 0.0)
            rival = next((r.score for r in turn.ranked[1:] if r.intent != first.intent), -1.0)
            self.top.append((first.intent, first.score, rival))
        self.judged: dict[tuple[int, Outcome], str] = {}
        replayed = set(cset.index)
        self.fixed_passes = sum(all(flags) for case, flags in cset.case_turns.items() if case not in replayed)
        self.cases = [(list(cset.case_turns[c]), positions) for c, positions in cset.index.items()]


_PREPARED: dict[int, tuple[CalibrationSet, _Prepared]] = {}


def _prepared(cset: CalibrationSet) -> _Prepared:
    hit = _PREPARED.get(id(cset))
    if hit is None or hit[0] is not cset:
        if len(_PREPARED) > 8:
            _PREPARED.clear()
        hit = (cset, _Prepared(cset))
        _PREPARED[id(cset)] = hit
    return hit[1]


def _fast_replay(top: tuple[str, float, float], setting: Setting) -> Outcome:
    intent, score, rival = top
    bar = setting.threshold(intent) if intent else 1.1
    ambiguous = rival >= 0 and score - rival < setting.ambiguity_margin and score < bar + CONFIDENT_MARGIN
    if score < bar or ambiguous:
        if intent == OFF_TOPIC and score >= setting.ood:
            return _OFF_TOPIC
        return _CLARIFY
    return _OFF_TOPIC if intent == OFF_TOPIC else Outcome("answer", intent)


_CLARIFY = Outcome("clarify", "clarify")
_OFF_TOPIC = Outcome("off_topic", OFF_TOPIC)


def evaluate(cset: CalibrationSet, setting: Setting) -> SweepPoint:
    prep = _prepared(cset)
    wrong = missed = clarify = changed = 0
    cost = 0.0
    verdict: list[bool] = []
    for i, turn in enumerate(cset.turns):
        outcome = _fast_replay(prep.top[i], setting)
        if outcome.kind == "clarify":
            clarify += 1
        key = (i, outcome)
        judged = prep.judged.get(key)
        if judged is None:
            judged = _judge(turn, outcome)
            if outcome == turn.original and turn.original_passed:
                judged = "pass"
            prep.judged[key] = judged
        if outcome != turn.original:
            changed += 1
        ok = turn.original_passed if outcome == turn.original else judged == "pass"
        verdict.append(ok)
        if judged == "wrong":
            wrong += 1
            cost += SAFETY_COST if turn.safety else WRONG_ANSWER_COST
        elif judged == "missed":
            missed += 1
            cost += 1.0
    passed_cases = prep.fixed_passes
    for template, positions in prep.cases:
        flags = list(template)
        for position, i in positions:
            flags[position] = verdict[i]
        passed_cases += all(flags)
    n = max(1, len(cset.turns))
    return SweepPoint(
        setting=setting,
        pass_rate=passed_cases / max(1, len(cset.case_turns)),
        wrong_answer_rate=wrong / n,
        needless_clarify_rate=missed / n,
        clarify_rate=clarify / n,
        cost=cost,
        changed=changed,
    )


def default_grid(current: Setting) -> Iterable[Setting]:
    for intent in [round(0.30 + 0.02 * i, 2) for i in range(16)]:
        for ood in [round(0.35 + 0.05 * i, 2) for i in range(7)]:
            for margin in (0.0, 0.02, 0.04, 0.06):
                yield Setting(intent=intent, ood=ood, ambiguity_margin=margin, per_intent=current.per_intent)


def _closeness(a: Setting, b: Setting) -> float:
    return abs(a.intent - b.intent) + abs(a.ood - b.ood) + abs(a.ambiguity_margin - b.ambiguity_margin)


def propose(
    cset: CalibrationSet, grid: Iterable[Setting] | None = None
) -> tuple[SweepPoint, list[SweepPoint]]:
    """The lowest-cost setting (ties: closest to the current one), then per-intent refinements."""
    points = [evaluate(cset, s) for s in (grid if grid is not None else default_grid(cset.current))]
    best = min(points, key=lambda p: (p.cost, -p.pass_rate, _closeness(p.setting, cset.current)))
    intents = sorted({t.ranked[0].intent for t in cset.turns if t.ranked} - {OFF_TOPIC})
    for intent in intents:
        for value in [round(0.30 + 0.04 * i, 2) for i in range(11)]:
            trial = msgspec.structs.replace(
                best.setting, per_intent={**best.setting.per_intent, intent: value}
            )
            point = evaluate(cset, trial)
            if point.cost < best.cost - 1e-9:
                best = point
    return best, points
