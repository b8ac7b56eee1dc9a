"""The default answer: the best passage of the best chunk, trimmed, in the document's own words."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["MAX_ANSWER_CHARS", "best_passage", "sentences"]

MAX_ANSWER_CHARS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[А-ЯЁA-Z«\"(0-9])")


def sentences(text: str) -> list[str]:
    """Lines (list items) and sentences of a chunk, in order."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


def _finish(sentence: str) -> str:
    return sentence if sentence.endswith((".", "!", "?", "…")) else f"{sentence}."


def best_passage(text: str, score: Callable[[str], float], limit: int = MAX_ANSWER_CHARS) -> str:
    """The whole chunk when it fits in ``limit``; else its best-scoring sentences, in document order.

    A sentence is never cut in the middle: a passage that says half a rule is worse than a shorter one.
    """
    parts = sentences(text)
    whole = " ".join(_finish(p) for p in parts)
    if len(whole) <= limit or len(parts) <= 1:
        return whole if len(whole) <= limit or not parts else _finish(parts[0])
    ranked = sorted(range(len(parts)), key=lambda i: (-score(parts[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        size = len(parts[i]) + 1
        if chosen and used + size > limit:
            continue
        chosen.append(i)
        used += size
    return " ".join(_finish(parts[i]) for i in sorted(chosen))
