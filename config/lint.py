"""The second pass over a loaded pack: references, uniqueness, regex safety, examples and coverage.

``read_pack`` checks each file against the schema; :func:`lint_pack` checks what only the whole
pack can tell. Give it the raw ``files`` too and every problem carries its line and column.
"""

from __future__ import annotations

from collections.abc import Mapping

from config.errors import Problem
from config.lint_batteries import ENGINE_BUILTINS, check_aliases, check_battery_intents, check_coverage
from config.lint_examples import MIN_EXAMPLES, check_examples, check_ood_anchors
from config.lint_locate import Locator
from config.lint_refs import check_ids, check_placeholders, check_references
from config.lint_rules import check_rule_examples, check_trigger_regexes
from config.schema.pack import PackSource
from config.text.analyse import TextAnalyser

__all__ = ["ENGINE_BUILTINS", "MIN_EXAMPLES", "lint_pack", "sort_problems"]


def lint_pack(source: PackSource, files: Mapping[str, bytes] | None = None) -> list[Problem]:
    """Every cross-file problem of ``source``, errors and warnings, in file and line order.

    Args:
        source: the pack as returned by :func:`config.loader.read_pack`.
        files: the raw files the pack was read from; used only to give problems a line and column.
    """
    loc = Locator(files)
    analyser = TextAnalyser(source.lexicon.replace)
    problems = [
        *check_placeholders(source, loc),
        *check_ids(source, loc),
        *check_references(source, loc),
        *check_trigger_regexes(source, loc),
        *check_rule_examples(source, loc, analyser),
        *check_examples(source, loc),
        *check_ood_anchors(source, loc, analyser),
        *check_aliases(source, loc),
        *check_battery_intents(source, loc),
        *check_coverage(source, loc),
    ]
    return sort_problems(problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems ordered by file, line, column (stable for problems without a line)."""
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))
