"""Learn the retrieval threshold from labelled questions, scoring each question once.

Answering a question the documents cannot answer costs ``UNANSWERABLE_COST`` (5) times an
unnecessary clarify. The threshold minimising the total cost over the labelled pairs is returned;
between two equally good cut points the midpoint is used, so a tiny score drift does not flip a case.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import msgspec

from engine.retrieval import Retriever

__all__ = ["UNANSWERABLE_COST", "Calibration", "calibrate_threshold", "sweep"]

UNANSWERABLE_COST = 5.0
CLARIFY_COST = 1.0


class Calibration(msgspec.Struct, frozen=True, kw_only=True):
    threshold: float
    cost: float
    false_answers: int  # unanswerable questions that would be answered
    missed: int  # answerable questions that would be clarified
    scored: list[tuple[str, bool, float]]  # (question, answerable, confidence)


def _confidence(retriever: Retriever, question: str) -> float:
    found = retriever.answer(question)
    return found.confidence if found is not None and found.grounded else 0.0


def sweep(
    scored: list[tuple[str, bool, float]],
    *,
    unanswerable_cost: float = UNANSWERABLE_COST,
    clarify_cost: float = CLARIFY_COST,
) -> Calibration:
    """The cheapest threshold over already-scored (question, answerable, confidence) triples."""
    if not scored:
        raise ValueError("calibrate_threshold needs at least one (question, answerable) pair")
    values = sorted({conf for _, _, conf in scored})
    cuts = [values[0] - 1e-3] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    cuts.append(values[-1] + 1e-3)
    best: Calibration | None = None
    for cut in cuts:
        false_answers = sum(1 for _, ok, conf in scored if not ok and conf >= cut)
        missed = sum(1 for _, ok, conf in scored if ok and conf < cut)
        cost = unanswerable_cost * false_answers + clarify_cost * missed
        if best is None or cost < best.cost:
            threshold = round(min(1.0, max(0.0, cut)), 4)
            best = Calibration(
                threshold=threshold, cost=cost, false_answers=false_answers, missed=missed, scored=scored
            )
    assert best is not None
    return best


def calibrate_threshold(
    retriever: Retriever,
    pairs: Iterable[tuple[str, bool]],
    *,
    unanswerable_cost: float = UNANSWERABLE_COST,
    clarify_cost: float = CLARIFY_COST,
) -> Calibration:
    """Score every (question, answerable) pair once and return the cost-minimising threshold.

    A question whose answer is not grounded scores 0 (the engine would never send it).
    """
    scored = [(q, ok, _confidence(retriever, q)) for q, ok in pairs]
    return sweep(scored, unanswerable_cost=unanswerable_cost, clarify_cost=clarify_cost)
