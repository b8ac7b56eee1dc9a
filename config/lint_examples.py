"""Lint: intent examples (how many, duplicates across intents) and OOD anchors colliding with them."""

from __future__ import annotations

from config.errors import Problem
from config.lint_locate import Locator
from config.schema.pack import PackSource
from config.text.analyse import TextAnalyser
from config.text.normalise import normalise

__all__ = ["MIN_EXAMPLES", "check_examples", "check_ood_anchors"]

MIN_EXAMPLES = 3


def _where(loc: Locator, file: str, path: str) -> str:
    line = loc.locate(file, path)[0]
    return f"{path}" + (f", line {line}" if line else "")


def check_examples(source: PackSource, loc: Locator) -> list[Problem]:
    """At least ``MIN_EXAMPLES`` per intent; one phrase (normalised) belongs to one intent only."""
    problems: list[Problem] = []
    seen: dict[str, tuple[str, str]] = {}
    for i, intent in enumerate(source.intents):
        if len(intent.examples) < MIN_EXAMPLES:
            problems.append(
                loc.problem(
                    "intents.yaml",
                    f"$.intents[{i}].examples",
                    code="few-examples",
                    message=f"intent `{intent.id}` has {len(intent.examples)} example(s); give at least "
                    f"{MIN_EXAMPLES} different phrasings so the matcher can recognise it",
                )
            )
        for k, example in enumerate(intent.examples):
            key, path = normalise(example), f"$.intents[{i}].examples[{k}]"
            if key not in seen:
                seen[key] = (intent.id, path)
                continue
            owner, other = seen[key]
            where = _where(loc, "intents.yaml", other)
            if owner == intent.id:
                problems.append(
                    loc.problem(
                        "intents.yaml",
                        path,
                        code="duplicate-example",
                        severity="warning",
                        message=f"example «{example}» repeats {where} of the same intent; remove one",
                    )
                )
            else:
                problems.append(
                    loc.problem(
                        "intents.yaml",
                        path,
                        code="duplicate-example",
                        message=f"example «{example}» of intent `{intent.id}` is also an example of intent "
                        f"`{owner}` ({where}): a phrase can teach only one intent; keep it in one",
                    )
                )
    return problems


def check_ood_anchors(source: PackSource, loc: Locator, analyser: TextAnalyser) -> list[Problem]:
    """An anchor equal to an intent example is an error; one whose lemmas all occur in one is a warning."""
    problems: list[Problem] = []
    stop = {lem for word in source.lexicon.stopwords for lem in analyser.analyse(word).lemmas}
    examples: list[tuple[str, str, str, frozenset[str]]] = []
    for i, intent in enumerate(source.intents):
        for k, example in enumerate(intent.examples):
            lemmas = frozenset(analyser.analyse(example).lemmas)
            examples.append((intent.id, f"$.intents[{i}].examples[{k}]", normalise(example), lemmas))
    exact = {text: (owner, path) for owner, path, text, _ in reversed(examples)}
    for a, anchor in enumerate(source.ood.anchors):
        path, text = f"$.anchors[{a}]", normalise(anchor)
        if text in exact:
            owner, other = exact[text]
            problems.append(
                loc.problem(
                    "ood.yaml",
                    path,
                    code="ood-collision",
                    message=f"OOD anchor «{anchor}» is also an example of intent `{owner}` "
                    f"(intents.yaml {_where(loc, 'intents.yaml', other)}): remove it from one side",
                )
            )
            continue
        lemmas = frozenset(analyser.analyse(anchor).lemmas) - stop
        if not lemmas:
            continue
        for owner, other, example_text, example_lemmas in examples:
            if lemmas <= example_lemmas:
                problems.append(
                    loc.problem(
                        "ood.yaml",
                        path,
                        code="ood-collision",
                        severity="warning",
                        message=f"every word of OOD anchor «{anchor}» occurs in example «{example_text}» of "
                        f"intent `{owner}` (intents.yaml {_where(loc, 'intents.yaml', other)}): the two "
                        "will compete; make the anchor clearly off-topic",
                    )
                )
                break
    return problems
