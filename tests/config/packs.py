"""Helpers for config tests: fixture packs as file mappings, and a PackSource → YAML files encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from config.files import read_pack_dir
from config.schema.pack import PackSource

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "minimal_pack"
BROKEN = FIXTURES / "broken_pack"


def minimal_files(**changes: str | None) -> dict[str, bytes]:
    """The minimal pack's files; ``changes`` maps file names (``__`` for ``/``, ``_yaml`` for ``.yaml``)
    to new text, or ``None`` to delete the file."""
    files = read_pack_dir(MINIMAL)
    for key, text in changes.items():
        name = key.replace("__", "/").replace("_yaml", ".yaml")
        if text is None:
            files.pop(name, None)
        else:
            files[name] = text.encode("utf-8")
    return files


def _dump(value: Any) -> bytes:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode("utf-8")


def _unflatten(facts: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in facts.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def pack_to_files(source: PackSource) -> dict[str, bytes]:
    """Encode a pack back into the files it is read from."""
    b = msgspec.to_builtins
    files = {
        "tenant.yaml": _dump(b(source.tenant)),
        "facts.yaml": _dump(_unflatten(source.facts)),
        "services.yaml": _dump(b(source.catalogue)),
        "intents.yaml": _dump({"intents": b(source.intents)}),
        "ood.yaml": _dump(b(source.ood)),
        "law.yaml": _dump({"topics": b(source.law)}),
        "policies.yaml": _dump(b(source.policies)),
        "templates.yaml": _dump(b(source.templates)),
        "lexicon.yaml": _dump(b(source.lexicon)),
        "thresholds.yaml": _dump(b(source.thresholds)),
    }
    files.update({name: text.encode("utf-8") for name, text in source.knowledge.items()})
    files.update({name: _dump(b(cases)) for name, cases in source.batteries.items()})
    return files
