"""Lint: intent aliases, eval cases naming known intents, and LAW topics / gates covered by a case."""

from __future__ import annotations

from collections.abc import Iterator

from config.errors import Problem, Severity
from config.lint_locate import Locator
from config.lint_refs import ENGINE_BUILTINS, closest
from config.schema.battery import Expected
from config.schema.pack import PackSource

__all__ = ["ENGINE_BUILTINS", "check_aliases", "check_battery_intents", "check_coverage", "expectations"]


def _rule_ids(source: PackSource) -> set[str]:
    return {t.id for t in source.law} | {g.id for g in source.policies.gates}


def expectations(source: PackSource, loc: Locator) -> Iterator[tuple[str, str, Expected]]:
    """Every ``expected`` block of every case: (battery file, YAML path of the block, the block)."""
    for file, cases in source.batteries.items():
        root = loc.battery_root(file)
        for i, case in enumerate(cases):
            if case.expected is not None:
                yield file, f"{root}[{i}].expected", case.expected
            for k, turn in enumerate(case.turns or []):
                if not isinstance(turn, str) and turn.expected is not None:
                    yield file, f"{root}[{i}].turns[{k}].expected", turn.expected


def check_aliases(source: PackSource, loc: Locator) -> list[Problem]:
    """Every id listed under ``intent_aliases`` names an intent, a LAW topic, a gate or a built-in."""
    known = {i.id for i in source.intents} | _rule_ids(source) | ENGINE_BUILTINS
    problems: list[Problem] = []
    for label, ids in source.tenant.intent_aliases.items():
        for k, ident in enumerate(ids):
            if ident not in known:
                problems.append(
                    loc.problem(
                        "tenant.yaml",
                        f"$.intent_aliases.{label}[{k}]",
                        code="reference",
                        message=f"alias `{label}` names `{ident}`, which is not an intent, LAW topic, "
                        f"gate or engine built-in{closest(ident, known)}",
                    )
                )
    return problems


def check_battery_intents(source: PackSource, loc: Locator) -> list[Problem]:
    """An expected ``intent`` is an intent, LAW/gate id, alias label or engine built-in."""
    known = (
        {i.id for i in source.intents}
        | _rule_ids(source)
        | set(source.tenant.intent_aliases)
        | ENGINE_BUILTINS
    )
    problems: list[Problem] = []
    for file, path, expected in expectations(source, loc):
        if expected.intent is not None and expected.intent not in known:
            problems.append(
                loc.problem(
                    file,
                    f"{path}.intent",
                    code="battery-intent",
                    message=f"expected intent `{expected.intent}` is not an intent, LAW topic, gate, alias "
                    "label (tenant.yaml `intent_aliases`) or engine built-in"
                    f"{closest(expected.intent, known)}",
                )
            )
    return problems


def check_coverage(source: PackSource, loc: Locator) -> list[Problem]:
    """Each LAW topic and policy gate has an eval case expecting it (warning until batteries exist)."""
    covered: set[str] = set()
    for _, _, expected in expectations(source, loc):
        for value in (expected.reason, expected.intent):
            if value is not None:
                covered.add(value)
                covered.update(source.tenant.intent_aliases.get(value, ()))
    has_cases = any(source.batteries.values())
    severity: Severity = "error" if has_cases else "warning"
    problems: list[Problem] = []
    rules = [("LAW topic", "law.yaml", f"$.topics[{i}].id", t.id) for i, t in enumerate(source.law)]
    gates = source.policies.gates
    rules += [("gate", "policies.yaml", f"$.gates[{i}].id", g.id) for i, g in enumerate(gates)]
    for kind, file, path, ident in rules:
        if ident in covered:
            continue
        hint = "" if has_cases else " (a warning until the pack has batteries, an error after)"
        problems.append(
            loc.problem(
                file,
                path,
                code="coverage",
                severity=severity,
                message=f"{kind} `{ident}` has no eval case: add one to batteries/ with `expected: "
                f"{{reason: {ident}}}` (or `intent: {ident}`) proving it fires{hint}",
            )
        )
    return problems
