"""Scores over case results: per tier, per category, and the CI gate."""

from __future__ import annotations

import re

import msgspec

from config.compile.compiled import OFF_TOPIC, CompiledPack
from config.schema.battery import Case, Expected
from evals.runner import CaseResult

__all__ = ["GateError", "Scores", "categorise", "check_gate", "score"]


class GateError(ValueError):
    """A ``--gate`` spec that can't be parsed."""


class Scores(msgspec.Struct, frozen=True, kw_only=True):
    cases: int
    passed: int
    metrics: dict[str, float]
    counts: dict[str, int]


def _final_expected(case: Case) -> Expected | None:
    turns = case.user_turns()
    return case.expected or (turns[-1].expected if turns else None)


def categorise(case: Case, pack: CompiledPack) -> list[str]:
    """Categories a case counts in: law, gate, ood, truth, booking."""
    exp = _final_expected(case)
    if exp is None:
        return []
    aliases = pack.source.tenant.intent_aliases
    labels = {exp.intent or "", *aliases.get(exp.intent or "", [])}
    law_ids = {t.id for t in pack.source.law} | {t.reason for t in pack.source.law}
    gate_ids = {g.id for g, _ in pack.gates} | {g.reason for g, _ in pack.gates}
    out = []
    if labels & law_ids or (exp.reason or "") in law_ids or "law" in case.tags:
        out.append("law")
    elif labels & gate_ids or (exp.reason or "") in gate_ids or "gate" in case.tags:
        out.append("gate")
    if OFF_TOPIC in labels or "ood" in case.tags:
        out.append("ood")
    if exp.booking_slots:
        out.append("booking")
    if exp.action == "reply" and (exp.must_include or exp.must_include_any) and "law" not in out:
        out.append("truth")
    return out


def score(results: list[CaseResult], cases: list[Case], pack: CompiledPack) -> Scores:
    metrics: dict[str, float] = {}
    counts: dict[str, int] = {}

    def rate(name: str, hits: int, total: int) -> None:
        counts[name] = total
        if total:
            metrics[name] = round(hits / total, 4)

    rate("all", sum(r.passed for r in results), len(results))
    for tier in sorted({r.tier for r in results}):
        tier_results = [r for r in results if r.tier == tier]
        rate(tier, sum(r.passed for r in tier_results), len(tier_results))
    cats = [categorise(c, pack) for c in cases]
    law = [r for r, c in zip(results, cats, strict=True) if "law" in c]
    rate("law_recall", sum(r.turns[-1].action == "escalate" for r in law), len(law))
    gate = [r for r, c in zip(results, cats, strict=True) if "gate" in c]
    rate("gate_recall", sum(r.passed for r in gate), len(gate))
    ood = [r for r, c in zip(results, cats, strict=True) if "ood" in c]
    rate(
        "ood_false_answer_rate",
        sum(r.turns[-1].intent != OFF_TOPIC and r.turns[-1].action == "reply" for r in ood),
        len(ood),
    )
    truth = [r for r, c in zip(results, cats, strict=True) if "truth" in c]
    rate("truth_accuracy", sum(r.passed for r in truth), len(truth))
    booking = [r for r, c in zip(results, cats, strict=True) if "booking" in c]
    rate(
        "booking_slot_accuracy",
        sum(not any("booking slot" in f for f in r.turns[-1].failures) for r in booking),
        len(booking),
    )
    agree = [t.intent_agrees for r in results for t in r.turns if t.intent_agrees is not None]
    rate("intent_agreement", sum(agree), len(agree))
    escalate = [r for r in results if r.expected_action == "escalate"]
    rate("escalate", sum(r.passed for r in escalate), len(escalate))
    booking_flow = [r for r in results if r.expected_action == "booking_flow"]
    rate("booking_flow", sum(r.passed for r in booking_flow), len(booking_flow))
    return Scores(cases=len(results), passed=sum(r.passed for r in results), metrics=metrics, counts=counts)


_SPEC = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|=|<|>)\s*([0-9.]+)\s*$")


def check_gate(spec: str, scores: Scores) -> list[str]:
    """Violations of a gate like ``core=1.0,all>=0.97,ood_false_answer_rate<=0``.

    ``=`` means "at least" for rates and "at most" for ``*_rate`` metrics (lower is better).
    """
    violations = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = _SPEC.match(part)
        if not m:
            raise GateError(f"gate term {part!r} is not `metric>=number` (e.g. `all>=0.97,law_recall=1.0`)")
        name, op, raw = m.groups()
        bound = float(raw)
        if name not in scores.metrics:
            if scores.counts.get(name, 0) == 0 and name in scores.counts:
                continue  # no cases in that category: nothing to hold against
            raise GateError(f"gate names unknown metric {name!r}; known: {sorted(scores.metrics)}")
        value = scores.metrics[name]
        lower_is_better = name.endswith("_rate")
        ok = {
            ">=": value >= bound,
            ">": value > bound,
            "<=": value <= bound,
            "<": value < bound,
            "=": value <= bound if lower_is_better else value >= bound,
        }[op]
        if not ok:
            violations.append(f"{name} = {value:.4f} fails {op}{bound}")
    return violations
