"""When a matcher's best intent is accepted: its threshold and the ambiguity margin.

Pure and shared with calibration, so a threshold sweep predicts exactly what ``decide`` would do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

__all__ = ["CONFIDENT_MARGIN", "Scored", "accept"]

CONFIDENT_MARGIN = 0.15  # this far above its threshold, a close second no longer makes a match ambiguous


class Scored(Protocol):
    @property
    def intent(self) -> str: ...

    @property
    def score(self) -> float: ...


S = TypeVar("S", bound=Scored)


def accept(ranked: Sequence[S], threshold: Callable[[str], float], margin: float) -> S | None:
    """The top candidate if it clears its threshold and is not within ``margin`` of a rival."""
    if not ranked:
        return None
    top = ranked[0]
    bar = threshold(top.intent)
    if top.score < bar:
        return None
    second = next((r for r in ranked[1:] if r.intent != top.intent), None)
    if second and top.score - second.score < margin and top.score < bar + CONFIDENT_MARGIN:
        return None
    return top
