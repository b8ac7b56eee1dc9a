"""Templates: ``{fact.id}`` placeholders resolved at compile time, engine slots at reply time."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["ENGINE_SLOTS", "PLACEHOLDER", "fill", "placeholders", "resolve_facts"]

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
ENGINE_SLOTS = frozenset(
    {
        "service",
        "items",
        "suggestions",
        "item",
        "price",
        "when",
        "name",
        "phone",
        "summary",
        "eta",
        "answer",
        "duration",
        "minutes",
    }
)


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def resolve_facts(template: str, facts: Mapping[str, str]) -> tuple[str, list[str]]:
    """Substitute fact placeholders; return the text and the fact ids used."""
    used: list[str] = []

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in facts:
            used.append(key)
            return facts[key]
        return m.group(0)

    return PLACEHOLDER.sub(sub, template), used


def fill(template: str, slots: Mapping[str, str]) -> str:
    """Fill engine slots; unknown placeholders stay visible (the linter forbids them)."""
    return PLACEHOLDER.sub(lambda m: slots.get(m.group(1), m.group(0)), template)
