"""Pure table of an engine trace: one row per stage, with its scores in a readable form."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

__all__ = ["TOP_SCORES", "TRACE_WIDTHS", "format_scores", "trace_table"]

TOP_SCORES = 4  # how many of a stage's scores to show, best first
TRACE_WIDTHS: dict[str, Literal["small", "medium", "large"]] = {
    "stage": "small",
    "decision": "small",
    "reason": "medium",
    "scores": "medium",
    "matched": "small",
    "data": "medium",
}


def format_scores(scores: Mapping[str, Any], top: int = TOP_SCORES) -> str:
    """``"price 0.81 · hours 0.44"``: the best ``top`` scores, best first."""
    ranked = sorted(((str(k), float(v)) for k, v in scores.items()), key=lambda kv: -kv[1])
    return " · ".join(f"{k} {v:.2f}" for k, v in ranked[:top])


def trace_table(trace: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Stage, decision, reason, top scores, matched terms and extra data of every trace entry."""
    rows = [
        {
            "stage": str(e.get("stage", "")),
            "decision": str(e.get("decision", "")),
            "reason": str(e.get("reason", "")),
            "scores": format_scores(e.get("scores") or {}),
            "matched": ", ".join(str(m) for m in e.get("matched") or []),
            "data": json.dumps(e.get("data"), ensure_ascii=False, default=str) if e.get("data") else "",
        }
        for e in trace
    ]
    return pd.DataFrame(rows, columns=["stage", "decision", "reason", "scores", "matched", "data"])
