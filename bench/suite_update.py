"""Re-run some sections of an existing report in place (``bench.suite --update``), headline recomputed."""

from __future__ import annotations

import re
from collections.abc import Callable

from bench.suite_machine import summaries

_FIXED = ("## Machine", "## Headline")


def merge(old: str, parts: list[str], note: str, headline: Callable[[dict[str, object]], str]) -> str:
    """``old`` with each of ``parts`` (``## title`` + body) replacing its namesake, and ``note`` on top."""
    chunks = re.split(r"(?m)^(?=## )", old)
    sections = {c.splitlines()[0].strip(): c for c in chunks[1:]}
    for part in parts:
        sections[part.splitlines()[0].strip()] = part.rstrip() + "\n\n"
    values: dict[str, object] = {}
    for title, text in sections.items():
        if title not in _FIXED:
            values.update(summaries(text))
    sections["## Headline"] = "## Headline\n\n" + headline(values) + "\n\n"
    return chunks[0].rstrip() + "\n\n" + note + "\n\n" + "".join(sections.values())
