"""Lint: trigger regexes (compile, catastrophic backtracking) and rule examples firing their trigger."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from config.compile.rules import compile_trigger
from config.errors import Problem
from config.lint_locate import Locator
from config.lint_regex import backtracking_risk, never_matching_letters, regex_compile_error
from config.schema.pack import PackSource
from config.schema.rules import Trigger
from config.text.analyse import TextAnalyser

__all__ = ["RuleRef", "check_rule_examples", "check_trigger_regexes", "rules"]


class RuleRef(msgspec.Struct, frozen=True):
    """A rule with a trigger, and where it sits in the pack."""

    label: str
    file: str
    path: str
    trigger: Trigger
    examples: list[str]


def rules(source: PackSource) -> Iterator[RuleRef]:
    """LAW topics, gates with a trigger, opt-out and the explicit human request."""
    for i, topic in enumerate(source.law):
        yield RuleRef(f"LAW topic `{topic.id}`", "law.yaml", f"$.topics[{i}]", topic.trigger, topic.examples)
    for i, gate in enumerate(source.policies.gates):
        if gate.trigger is not None:
            yield RuleRef(f"gate `{gate.id}`", "policies.yaml", f"$.gates[{i}]", gate.trigger, gate.examples)
    pol = source.policies
    yield RuleRef("opt-out", "policies.yaml", "$.opt_out", pol.opt_out.trigger, pol.opt_out.examples)
    yield RuleRef(
        "human request",
        "policies.yaml",
        "$.human_request",
        pol.human_request.trigger,
        pol.human_request.examples,
    )


def _regex_problems(rule: RuleRef, loc: Locator) -> list[Problem]:
    problems: list[Problem] = []
    for k, pattern in enumerate(rule.trigger.regex):
        path = f"{rule.path}.trigger.regex[{k}]"
        error = regex_compile_error(pattern)
        if error:
            problems.append(
                loc.problem(rule.file, path, code="regex", message=f"{error}\nfix the regex of {rule.label}")
            )
            continue
        letters = never_matching_letters(pattern)
        if letters:
            problems.append(
                loc.problem(
                    rule.file,
                    path,
                    code="regex",
                    severity="warning",
                    message=f"regex /{pattern}/ of {rule.label} is matched against normalised text "
                    f"(lower case, ё → е), which never contains {', '.join(letters)}: "
                    "write them in lower case, ё as е",
                )
            )
        risk = backtracking_risk(pattern)
        if risk:
            problems.append(
                loc.problem(
                    rule.file,
                    path,
                    code="regex-backtracking",
                    message=f"regex /{pattern}/ of {rule.label} can backtrack catastrophically: it has "
                    f"{risk}, so one crafted message could hang the bot; rewrite it without nested or "
                    "overlapping repetition (`(a+)+` → `a+`, `(\\w+\\s?)+` → `[\\w\\s]+`)",
                )
            )
    return problems


def check_trigger_regexes(source: PackSource, loc: Locator) -> list[Problem]:
    """Every trigger regex compiles and has no catastrophic-backtracking shape."""
    return [p for rule in rules(source) for p in _regex_problems(rule, loc)]


def check_rule_examples(source: PackSource, loc: Locator, analyser: TextAnalyser) -> list[Problem]:
    """Each rule's ``examples`` fire its own trigger (rules with a broken regex are skipped)."""
    problems: list[Problem] = []
    for rule in rules(source):
        if not rule.examples or any(regex_compile_error(r) for r in rule.trigger.regex):
            continue
        compiled = compile_trigger(rule.trigger, analyser)
        for k, example in enumerate(rule.examples):
            if compiled.match(analyser.analyse(example)) is not None:
                continue
            unvetoed = msgspec.structs.replace(compiled, unless=())
            vetoed = unvetoed.match(analyser.analyse(example)) is not None
            words = ", ".join([*rule.trigger.terms, *(f"/{r}/" for r in rule.trigger.regex)])
            why = " (an `unless` phrase vetoes it)" if vetoed else ""
            problems.append(
                loc.problem(
                    rule.file,
                    f"{rule.path}.examples[{k}]",
                    code="trigger-example",
                    message=f"example «{example}» does not fire the trigger of {rule.label} "
                    f"(normalised: «{analyser.analyse(example).text}»; trigger: {words}){why}: "
                    "add a term or regex that matches it, or fix the example",
                )
            )
    return problems
