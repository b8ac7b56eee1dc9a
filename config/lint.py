"""The second pass over a loaded pack: references, uniqueness, regex safety, examples and coverage.

``read_pack`` checks each file against the schema; :func:`lint_pack` checks what only the whole
pack can tell. Give it the raw ``files`` too and every problem carries its line and column.
:func:`check_files` does both, and lints what it can even when some files have schema errors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from config.errors import Problem
from config.lint_batteries import check_aliases, check_battery_intents, check_coverage
from config.lint_examples import MIN_EXAMPLES, check_examples, check_ood_anchors
from config.lint_locate import Locator
from config.lint_refs import ENGINE_BUILTINS, check_ids, check_placeholders, check_references
from config.lint_rules import check_rule_examples, check_trigger_regexes
from config.lint_salvage import salvage_pack
from config.loader import read_pack
from config.schema.pack import PackSource
from config.text.analyse import TextAnalyser

__all__ = ["ENGINE_BUILTINS", "MIN_EXAMPLES", "check_files", "lint_pack", "sort_problems"]

Check = Callable[[PackSource, Locator, TextAnalyser], list[Problem]]
_WHOLE = ("tenant.yaml", "intents.yaml", "law.yaml", "policies.yaml", "batteries/")
# Each check, and the files it needs whole to give no false alarm.
CHECKS: tuple[tuple[Check, tuple[str, ...]], ...] = (
    (lambda s, loc, _: check_placeholders(s, loc), ("facts.yaml",)),
    (lambda s, loc, _: check_ids(s, loc), ()),
    (lambda s, loc, _: check_references(s, loc), ("services.yaml", "intents.yaml")),
    (lambda s, loc, _: check_trigger_regexes(s, loc), ()),
    (check_rule_examples, ("lexicon.yaml",)),
    (lambda s, loc, _: check_examples(s, loc), ()),
    (check_ood_anchors, ("lexicon.yaml",)),
    (lambda s, loc, _: check_aliases(s, loc), _WHOLE),
    (lambda s, loc, _: check_battery_intents(s, loc), _WHOLE),
    (lambda s, loc, _: check_coverage(s, loc), _WHOLE),
)


def lint_pack(
    source: PackSource, files: Mapping[str, bytes] | None = None, *, incomplete: Collection[str] = ()
) -> list[Problem]:
    """Every cross-file problem of ``source``, errors and warnings, in file and line order.

    Args:
        source: the pack as returned by :func:`config.loader.read_pack`.
        files: the raw files the pack was read from; used only to give problems a line and column.
        incomplete: files known to have lost parts (schema errors); checks needing them are skipped.
    """
    loc = Locator(files)
    analyser = TextAnalyser(source.lexicon.replace)
    problems: list[Problem] = []
    for check, needs in CHECKS:
        if not any(n == f or (n.endswith("/") and f.startswith(n)) for n in needs for f in incomplete):
            problems.extend(check(source, loc, analyser))
    return sort_problems(problems)


def check_files(files: Mapping[str, bytes]) -> tuple[PackSource | None, list[Problem]]:
    """Load and lint a pack's files: the pack (``None`` if it has schema errors) and every problem.

    With schema errors, what is valid is still linted, so one run reports (nearly) everything.
    """
    source, problems = read_pack(files)
    if source is not None:
        return source, sort_problems([*problems, *lint_pack(source, files)])
    salvaged, incomplete = salvage_pack(files, problems)
    return None, sort_problems([*problems, *lint_pack(salvaged, files, incomplete=incomplete)])


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems ordered by file, line, column (stable for problems without a line)."""
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))
