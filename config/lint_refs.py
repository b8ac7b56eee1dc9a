"""Lint: template placeholders, unique ids and references between pack files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator

import msgspec

from config.compile.templates import ENGINE_SLOTS, PLACEHOLDER
from config.errors import Problem
from config.lint_locate import Locator
from config.schema.intents import ConsultAnswer, DurationAnswer, TemplateAnswer
from config.schema.pack import PackSource

__all__ = [
    "ENGINE_BUILTINS",
    "check_ids",
    "check_placeholders",
    "check_references",
    "closest",
    "template_texts",
]

ENGINE_BUILTINS = frozenset(
    {
        "off_topic",
        "clarify",
        "greeting",
        "thanks",
        "multi",
        "booking",
        "service_not_found",
        "opt_out",
        "human_request",
        "shield",
    }
)
"""Intent labels the engine itself produces; eval cases and aliases may name them."""
_BRACES = re.compile(r"\{[^{}\n]*\}")
_GATE_TEXTS = ("reply", "note", "within_reply", "over_reply", "unknown_reply")


def closest(name: str, options: Iterable[str]) -> str:
    """`` did you mean `x`?`` for the closest option, or an empty string."""
    hint = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
    return f"; did you mean `{hint[0]}`?" if hint else ""


def template_texts(source: PackSource) -> Iterator[tuple[str, str, str]]:
    """Every customer-facing text that may hold ``{placeholders}``: (file, YAML path, text)."""
    for name, value in msgspec.structs.asdict(source.templates).items():
        if isinstance(value, str):
            yield "templates.yaml", f"$.{name}", value
    for key, value in source.templates.extra.items():
        yield "templates.yaml", f"$.extra.{key}", value
    for i, intent in enumerate(source.intents):
        base, answer = f"$.intents[{i}].answer", intent.answer
        if isinstance(answer, TemplateAnswer):
            yield "intents.yaml", f"{base}.text", answer.text
        elif isinstance(answer, ConsultAnswer):
            yield "intents.yaml", f"{base}.lead", answer.lead
            for k, option in enumerate(answer.options):
                yield "intents.yaml", f"{base}.options[{k}]", option
            yield "intents.yaml", f"{base}.question", answer.question
    for i, topic in enumerate(source.law):
        yield "law.yaml", f"$.topics[{i}].reply", topic.reply
    for i, gate in enumerate(source.policies.gates):
        for field in _GATE_TEXTS:
            value = getattr(gate.action, field, None)
            if isinstance(value, str):
                yield "policies.yaml", f"$.gates[{i}].action.{field}", value
    yield "policies.yaml", "$.opt_out.reply", source.policies.opt_out.reply
    yield "policies.yaml", "$.human_request.reply", source.policies.human_request.reply
    yield "ood.yaml", "$.reply", source.ood.reply
    if source.tenant.handover.reply_eta:
        yield "tenant.yaml", "$.handover.reply_eta", source.tenant.handover.reply_eta


def check_placeholders(source: PackSource, loc: Locator) -> list[Problem]:
    """Every ``{x}`` names a fact id or an engine slot; stray braces are warned about."""
    problems: list[Problem] = []
    known = set(source.facts) | ENGINE_SLOTS
    for file, path, text in template_texts(source):
        for name in dict.fromkeys(PLACEHOLDER.findall(text)):
            if name in known:
                continue
            hint = closest(name, source.facts) or closest(name, ENGINE_SLOTS)
            problems.append(
                loc.problem(
                    file,
                    path,
                    code="placeholder",
                    message=f"unknown placeholder `{{{name}}}`: no fact `{name}` in facts.yaml and no "
                    f"engine slot of that name{hint} (add the fact to facts.yaml or fix the name)",
                )
            )
        for stray in _BRACES.findall(text):
            if not PLACEHOLDER.fullmatch(stray):
                problems.append(
                    loc.problem(
                        file,
                        path,
                        code="placeholder",
                        severity="warning",
                        message=f"`{stray}` is not a placeholder (write `{{fact.id}}`, no spaces): "
                        "it would be sent to the customer as is",
                    )
                )
    return problems


def _dupes(what: str, entries: Iterable[tuple[str, str, str]], loc: Locator) -> list[Problem]:
    """Entries are (id, file, path of the id); every repeat after the first is an error."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, str]] = {}
    for ident, file, path in entries:
        if ident not in first:
            first[ident] = (file, path)
            continue
        other_file, other_path = first[ident]
        line = loc.locate(other_file, other_path)[0]
        where = f"{other_path}" + (f" (line {line})" if line else "")
        problems.append(
            loc.problem(
                file,
                path,
                code="duplicate-id",
                message=f"duplicate {what} id `{ident}`: already used at {where}; "
                "ids must be unique, rename one",
            )
        )
    return problems


def check_ids(source: PackSource, loc: Locator) -> list[Problem]:
    """Ids are unique within intents, LAW topics, gates, services, price items and categories."""
    cat = source.catalogue
    problems = _dupes(
        "intent", ((x.id, "intents.yaml", f"$.intents[{i}].id") for i, x in enumerate(source.intents)), loc
    )
    problems += _dupes(
        "LAW topic", ((x.id, "law.yaml", f"$.topics[{i}].id") for i, x in enumerate(source.law)), loc
    )
    problems += _dupes(
        "gate",
        ((x.id, "policies.yaml", f"$.gates[{i}].id") for i, x in enumerate(source.policies.gates)),
        loc,
    )
    problems += _dupes(
        "service", ((x.id, "services.yaml", f"$.services[{i}].id") for i, x in enumerate(cat.services)), loc
    )
    items = [(item.id, i, j) for i, s in enumerate(cat.services) for j, item in enumerate(s.items)]
    problems += _dupes(
        "price item", ((x, "services.yaml", f"$.services[{i}].items[{j}].id") for x, i, j in items), loc
    )
    problems += _dupes(
        "category",
        ((x.id, "services.yaml", f"$.categories[{i}].id") for i, x in enumerate(cat.categories)),
        loc,
    )
    intents = {x.id for x in source.intents}
    clashes = [("LAW topic", "law.yaml", f"$.topics[{i}].id", t.id) for i, t in enumerate(source.law)]
    gates = source.policies.gates
    clashes += [("gate", "policies.yaml", f"$.gates[{i}].id", g.id) for i, g in enumerate(gates)]
    for kind, file, path, ident in clashes:
        if ident in intents:
            problems.append(
                loc.problem(
                    file,
                    path,
                    code="duplicate-id",
                    severity="warning",
                    message=f"{kind} id `{ident}` is also an intent id: eval cases naming it cannot tell the "
                    "two apart; rename one",
                )
            )
    return problems


def check_references(source: PackSource, loc: Locator) -> list[Problem]:
    """Services name existing categories; intents are `about` services or categories; per-intent
    thresholds and duration redirects name intents."""
    problems: list[Problem] = []
    categories = {c.id for c in source.catalogue.categories}
    for i, service in enumerate(source.catalogue.services):
        if service.category not in categories:
            known = ", ".join(sorted(categories)) or "none defined"
            problems.append(
                loc.problem(
                    "services.yaml",
                    f"$.services[{i}].category",
                    code="reference",
                    message=f"service `{service.id}` names category `{service.category}`, which is not in "
                    f"`categories` (known: {known}){closest(service.category, categories)}",
                )
            )
    intents = {x.id for x in source.intents}
    for key in source.thresholds.per_intent:
        if key not in intents:
            problems.append(
                loc.problem(
                    "thresholds.yaml",
                    f"$.per_intent.{key}",
                    code="reference",
                    key=True,
                    message=f"`per_intent` names `{key}`, which is not an intent id{closest(key, intents)}",
                )
            )
    services = {x.id for x in source.catalogue.services} | categories
    topics = intents | {x.topic for x in source.intents if x.topic} | ENGINE_BUILTINS
    for i, intent in enumerate(source.intents):
        for k, name in enumerate(intent.about):
            if name not in services:
                problems.append(
                    loc.problem(
                        "intents.yaml",
                        f"$.intents[{i}].about[{k}]",
                        code="reference",
                        message=f"intent `{intent.id}` is `about` `{name}`, which is neither a service nor "
                        f"a category id{closest(name, services)}",
                    )
                )
        answer = intent.answer
        if not isinstance(answer, DurationAnswer):
            continue
        base = f"$.intents[{i}].answer"
        for k, name in enumerate(answer.redirect_after):
            if name not in topics:
                problems.append(
                    loc.problem(
                        "intents.yaml",
                        f"{base}.redirect_after[{k}]",
                        code="reference",
                        severity="warning",
                        message=f"`redirect_after` names `{name}`, neither an intent nor a topic"
                        f"{closest(name, topics)}",
                    )
                )
        if answer.redirect_to is not None and answer.redirect_to not in intents:
            problems.append(
                loc.problem(
                    "intents.yaml",
                    f"{base}.redirect_to",
                    code="reference",
                    severity="warning",
                    message=f"`redirect_to` names `{answer.redirect_to}`, which is not an intent id"
                    f"{closest(answer.redirect_to, intents)}",
                )
            )
    return problems
