"""Keep what is valid of a pack with schema errors, so the linter can still report its other problems.

``read_pack`` refuses a pack with any schema error, which would hide every lint problem until the
schema errors are fixed. :func:`salvage_pack` instead drops what does not fit the schema (unknown
keys, invalid list items, invalid optional fields) and stands in an empty part for a file it cannot
use, and says which files are incomplete so checks that need them whole can be skipped.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import msgspec

from config.errors import Problem
from config.loader import OPTIONAL_FILES, REQUIRED_FILES, _flatten_facts, load_battery
from config.schema.catalogue import ServiceCatalogue
from config.schema.misc import Lexicon, OutOfDomain, SystemTemplates, Thresholds
from config.schema.pack import IntentsFile, LawFile, PackSource
from config.schema.rules import Policies, SimpleRule, Trigger
from config.schema.tenant import WEEKDAYS, DayHours, TenantSettings
from config.yaml_doc import parse_yaml

__all__ = ["salvage_pack"]

_STAND_IN = "?"


def _stand_in(tp: type[Any]) -> Any:
    """An empty value of a pack file's type, used when nothing of the file can be kept."""
    rule = SimpleRule(trigger=Trigger(terms=[_STAND_IN]), reply=_STAND_IN)
    empty: dict[type[Any], Any] = {
        TenantSettings: TenantSettings(
            id="unknown", name=_STAND_IN, trade=_STAND_IN, hours={d: DayHours(closed=True) for d in WEEKDAYS}
        ),
        ServiceCatalogue: ServiceCatalogue(services=[]),
        IntentsFile: IntentsFile(intents=[]),
        OutOfDomain: OutOfDomain(anchors=[], reply=_STAND_IN),
        LawFile: LawFile(topics=[]),
        Policies: Policies(opt_out=rule, human_request=rule),
        Lexicon: Lexicon(),
        Thresholds: Thresholds(),
    }
    if tp is SystemTemplates:
        names = [f.encode_name for f in msgspec.structs.fields(SystemTemplates) if f.required]
        return msgspec.convert(dict.fromkeys(names, _STAND_IN), SystemTemplates)
    return empty[tp]


def _fits(value: Any, tp: Any) -> bool:
    try:
        msgspec.convert(value, tp)
    except (msgspec.ValidationError, TypeError):
        return False
    return True


def _repair(value: Any, tp: type[Any]) -> Any | None:
    """``value`` converted to ``tp`` after dropping what does not fit, or ``None``."""
    try:
        return msgspec.convert(value, tp)
    except msgspec.ValidationError:
        pass
    if not isinstance(value, dict) or not isinstance(tp, type) or not issubclass(tp, msgspec.Struct):
        return None
    hints = typing.get_type_hints(tp, include_extras=True)
    fixed: dict[str, Any] = {}
    for field in msgspec.structs.fields(tp):
        if field.encode_name not in value:
            continue
        item, field_tp = value[field.encode_name], hints[field.name]
        if _fits(item, field_tp):
            fixed[field.encode_name] = item
        elif isinstance(item, list) and typing.get_origin(field_tp) is list:
            (item_tp,) = typing.get_args(field_tp)
            kept = [_repair(x, item_tp) if isinstance(item_tp, type) else None for x in item]
            fixed[field.encode_name] = [msgspec.to_builtins(x) for x in kept if x is not None]
        elif field.required:
            return None
    try:
        return msgspec.convert(fixed, tp)
    except msgspec.ValidationError:
        return None


def salvage_pack(files: Mapping[str, bytes], problems: list[Problem]) -> tuple[PackSource, frozenset[str]]:
    """A best-effort pack from ``files`` and the set of files that are not whole.

    ``problems`` are the loader's problems for these files; a file with an error counts as incomplete.
    """
    incomplete = {p.file for p in problems if p.severity == "error"} | {
        n for n in REQUIRED_FILES if n not in files
    }
    parts: dict[str, Any] = {}
    for name, tp in {**REQUIRED_FILES, **OPTIONAL_FILES}.items():
        doc = parse_yaml(files[name], name)[0] if name in files else None
        value = _repair(doc.value if doc.value is not None else {}, tp) if doc is not None else None
        parts[name] = value if value is not None else _stand_in(tp)
    facts: dict[str, str] = {}
    doc = parse_yaml(files["facts.yaml"], "facts.yaml")[0] if "facts.yaml" in files else None
    if doc is not None and doc.value is not None:
        _flatten_facts(doc, doc.value, "", "$", facts, [])
    batteries = {
        n: load_battery(files[n], n)[0]
        for n in sorted(files)
        if n.startswith("batteries/") and n.endswith((".yaml", ".yml"))
    }
    knowledge = {n: files[n].decode("utf-8", "replace") for n in sorted(files) if n.startswith("knowledge/")}
    source = PackSource(
        tenant=parts["tenant.yaml"],
        facts=facts,
        catalogue=parts["services.yaml"],
        intents=parts["intents.yaml"].intents,
        ood=parts["ood.yaml"],
        law=parts["law.yaml"].topics,
        policies=parts["policies.yaml"],
        templates=parts["templates.yaml"],
        lexicon=parts["lexicon.yaml"],
        thresholds=parts["thresholds.yaml"],
        knowledge=knowledge,
        batteries=batteries,
    )
    return source, frozenset(incomplete)
