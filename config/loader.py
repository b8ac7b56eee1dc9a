"""Read a pack from its files' bytes. Pure: the caller reads the files and passes them in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from config.errors import PackInvalid, Problem
from config.schema.battery import Case
from config.schema.catalogue import ServiceCatalogue
from config.schema.misc import Lexicon, OutOfDomain, SystemTemplates, Thresholds
from config.schema.pack import IntentsFile, LawFile, PackSource
from config.schema.rules import Policies
from config.schema.tenant import TenantSettings
from config.validate import convert_all
from config.yaml_doc import YamlDoc, parse_yaml

__all__ = ["REQUIRED_FILES", "load_battery", "load_pack", "read_pack"]

T = TypeVar("T")

REQUIRED_FILES: dict[str, type[Any]] = {
    "tenant.yaml": TenantSettings,
    "services.yaml": ServiceCatalogue,
    "intents.yaml": IntentsFile,
    "ood.yaml": OutOfDomain,
    "law.yaml": LawFile,
    "policies.yaml": Policies,
    "templates.yaml": SystemTemplates,
}
OPTIONAL_FILES: dict[str, type[Any]] = {"lexicon.yaml": Lexicon, "thresholds.yaml": Thresholds}
KNOWN_FILES = {*REQUIRED_FILES, *OPTIONAL_FILES, "facts.yaml", "README.md"}


def _typed(files: Mapping[str, bytes], name: str, tp: type[T], problems: list[Problem]) -> T | None:
    doc, found = parse_yaml(files[name], name)
    problems.extend(found)
    if doc is None:
        return None
    value, found = convert_all(doc, doc.value if doc.value is not None else {}, tp)
    problems.extend(found)
    return value


def _flatten_facts(
    doc: YamlDoc, value: Any, prefix: str, path: str, out: dict[str, str], problems: list[Problem]
) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.replace("_", "").isalnum():
                problems.append(
                    doc.problem(f"{path}.{key}", f"fact key {key!r} must be a word (letters, digits, _)")
                )
                continue
            _flatten_facts(doc, item, f"{prefix}{key}.", f"{path}.{key}", out, problems)
    elif isinstance(value, bool) or value is None:
        problems.append(doc.problem(path, f"fact `{prefix[:-1]}` is {value!r}; write the fact as text"))
    elif isinstance(value, (str, int, float)):
        out[prefix[:-1]] = str(value)
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        out[prefix[:-1]] = ", ".join(str(v) for v in value)
    else:
        problems.append(doc.problem(path, f"fact `{prefix[:-1]}` must be text, a number or a list of them"))


def load_battery(data: bytes, file: str) -> tuple[list[Case], list[Problem]]:
    """Parse a battery file: a list of cases, or a mapping with ``eval_cases``/``cases``."""
    doc, problems = parse_yaml(data, file)
    if doc is None:
        return [], problems
    value, path = doc.value, "$"
    if isinstance(value, dict):
        keys = [k for k in ("eval_cases", "cases") if k in value]
        if len(keys) != 1 or len(value) != 1:
            return [], [
                doc.problem(
                    "$", "a battery is a list of cases (or one key `eval_cases:`/`cases:` holding it)"
                )
            ]
        value, path = value[keys[0]], f"$.{keys[0]}"
    if not isinstance(value, list):
        return [], [doc.problem(path, "a battery must be a YAML list of cases")]
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(value):
        case, found = convert_all(doc, raw, Case, f"{path}[{i}]")
        problems.extend(found)
        if case is None:
            continue
        if case.id in seen:
            problems.append(
                doc.problem(f"{path}[{i}].id", f"case id {case.id!r} repeats item {seen[case.id]}")
            )
        seen[case.id] = i
        cases.append(case)
    return cases, problems


def read_pack(files: Mapping[str, bytes]) -> tuple[PackSource | None, list[Problem]]:
    """Parse every file of a pack; return the pack (if no errors) and every problem found."""
    problems: list[Problem] = []
    for name in REQUIRED_FILES:
        if name not in files:
            problems.append(
                Problem(file=name, message=f"missing pack file `{name}`: create it (see `truffles pack new`)")
            )
    for name in sorted(files):
        top = name.split("/", 1)[0]
        if "/" not in name and name not in KNOWN_FILES:
            problems.append(
                Problem(
                    file=name,
                    message=f"unknown pack file `{name}`; expected one of "
                    f"{sorted(KNOWN_FILES)} or the folders knowledge/, batteries/",
                    severity="warning",
                    code="layout",
                )
            )
        elif "/" in name and top not in ("knowledge", "batteries"):
            problems.append(
                Problem(file=name, message=f"unknown pack folder `{top}/`", severity="warning", code="layout")
            )
    parts: dict[str, Any] = {}
    for name, tp in {**REQUIRED_FILES, **OPTIONAL_FILES}.items():
        if name in files:
            parts[name] = _typed(files, name, tp, problems)
    facts: dict[str, str] = {}
    if "facts.yaml" in files:
        doc, found = parse_yaml(files["facts.yaml"], "facts.yaml")
        problems.extend(found)
        if doc is not None and doc.value is not None:
            _flatten_facts(doc, doc.value, "", "$", facts, problems)
    knowledge = {}
    for name in sorted(n for n in files if n.startswith("knowledge/")):
        try:
            knowledge[name] = files[name].decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(file=name, message="knowledge document is not UTF-8: save it as UTF-8"))
    batteries: dict[str, list[Case]] = {}
    for name in sorted(n for n in files if n.startswith("batteries/") and n.endswith((".yaml", ".yml"))):
        cases, found = load_battery(files[name], name)
        problems.extend(found)
        batteries[name] = cases
    if any(p.severity == "error" for p in problems):
        return None, problems
    intents_file = parts["intents.yaml"]
    law_file = parts["law.yaml"]
    pack = PackSource(
        tenant=parts["tenant.yaml"],
        facts=facts,
        catalogue=parts["services.yaml"],
        intents=intents_file.intents,
        ood=parts["ood.yaml"],
        law=law_file.topics,
        policies=parts["policies.yaml"],
        templates=parts["templates.yaml"],
        lexicon=parts.get("lexicon.yaml") or Lexicon(),
        thresholds=parts.get("thresholds.yaml") or Thresholds(),
        knowledge=knowledge,
        batteries=batteries,
    )
    return pack, problems


def load_pack(files: Mapping[str, bytes]) -> PackSource:
    """Like :func:`read_pack` but raises :class:`PackInvalid` listing every error."""
    pack, problems = read_pack(files)
    if pack is None:
        raise PackInvalid(problems)
    return pack
