"""Pure tables for the Batteries page: pass rates per tier and category, failures, one case's turns."""

from __future__ import annotations

from typing import Any

import msgspec
import pandas as pd

from config.compile.compiled import CompiledPack
from config.schema.battery import Case, Expected
from evals.metrics import categorise
from evals.runner import CaseResult

__all__ = [
    "case_categories",
    "category_table",
    "expected_for_turn",
    "failure_table",
    "tier_table",
]


def _rate_rows(groups: dict[str, list[bool]]) -> pd.DataFrame:
    rows = [
        {"group": name, "cases": len(flags), "passed": sum(flags), "pass rate": sum(flags) / len(flags)}
        for name, flags in groups.items()
        if flags
    ]
    return pd.DataFrame(rows, columns=["group", "cases", "passed", "pass rate"])


def tier_table(results: list[CaseResult]) -> pd.DataFrame:
    """One row per tier plus ``all``: cases, passed, pass rate (0..1)."""
    groups: dict[str, list[bool]] = {"all": [r.passed for r in results]}
    for r in sorted(results, key=lambda r: r.tier):
        groups.setdefault(r.tier, []).append(r.passed)
    return _rate_rows(groups).rename(columns={"group": "tier"})


def case_categories(case: Case, result: CaseResult, pack: CompiledPack) -> list[str]:
    """The metric categories (law, gate, ood, truth, booking) plus the expected action."""
    cats = categorise(case, pack)
    if result.expected_action:
        cats.append(f"action:{result.expected_action}")
    return cats


def category_table(results: list[CaseResult], cases: list[Case], pack: CompiledPack) -> pd.DataFrame:
    """One row per category a case counts in (a case may count in several)."""
    groups: dict[str, list[bool]] = {}
    for case, result in zip(cases, results, strict=True):
        for cat in case_categories(case, result, pack):
            groups.setdefault(cat, []).append(result.passed)
    table = _rate_rows(dict(sorted(groups.items()))).rename(columns={"group": "category"})
    return table


def _first_failure(result: CaseResult) -> tuple[int, str]:
    for n, turn in enumerate(result.turns):
        if turn.failures:
            return n, turn.failures[0]
    return -1, ""


def failure_table(results: list[CaseResult]) -> pd.DataFrame:
    """Failing cases: id, battery, tier, the failing turn's message and its first failure."""
    rows = []
    for r in results:
        if r.passed:
            continue
        n, failure = _first_failure(r)
        turn = r.turns[n] if n >= 0 else r.turns[-1]
        rows.append(
            {
                "case": r.id,
                "battery": r.battery,
                "tier": r.tier,
                "turn": n + 1,
                "user": turn.user,
                "action": turn.action,
                "intent": turn.intent,
                "failure": failure,
                "failures": sum(len(t.failures) for t in r.turns),
            }
        )
    columns = ["case", "battery", "tier", "turn", "user", "action", "intent", "failure", "failures"]
    return pd.DataFrame(rows, columns=columns)


def expected_for_turn(case: Case, turn: int) -> dict[str, Any]:
    """What turn ``turn`` of ``case`` had to do (empty fields dropped); the case-level
    ``expected`` applies to the last turn, as the runner applies it."""
    turns = case.user_turns()
    exp: Expected | None = turns[turn].expected
    if turn == len(turns) - 1 and case.expected is not None:
        merged = msgspec.structs.asdict(exp) if exp is not None else {}
        for key, value in msgspec.structs.asdict(case.expected).items():
            if value:
                merged[key] = value
        return {k: v for k, v in merged.items() if v}
    if exp is None:
        return {}
    return {k: v for k, v in msgspec.structs.asdict(exp).items() if v}
