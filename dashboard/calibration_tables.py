"""Pure pieces of the Calibration page: settings from slider values, rate tables and curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evals.calibration import CalibrationSet, Setting, SweepPoint, evaluate

__all__ = [
    "AXES",
    "LOWER_IS_BETTER",
    "RATES",
    "axis_values",
    "curve_frame",
    "point_table",
    "setting_from",
    "setting_rows",
]

RATES = ("pass_rate", "wrong_answer_rate", "needless_clarify_rate", "clarify_rate")
LOWER_IS_BETTER = frozenset({"wrong_answer_rate", "needless_clarify_rate", "clarify_rate", "cost", "changed"})
AXES = {"intent": (0.20, 0.80, 0.02), "ood": (0.20, 0.80, 0.02), "ambiguity_margin": (0.0, 0.15, 0.005)}
LABELS = {
    "pass_rate": "pass",
    "wrong_answer_rate": "wrong answer",
    "needless_clarify_rate": "needless clarify/escalation",
    "clarify_rate": "clarify",
    "cost": "cost",
    "changed": "turns changed",
}


def setting_from(
    intent: float, ood: float, margin: float, per_intent: Mapping[str, float] | None = None
) -> Setting:
    """A ``Setting`` from slider values, rounded so float noise never shows up in the file."""
    return Setting(
        intent=round(float(intent), 3),
        ood=round(float(ood), 3),
        ambiguity_margin=round(float(margin), 3),
        per_intent={k: round(float(v), 3) for k, v in sorted((per_intent or {}).items())},
    )


def point_table(point: SweepPoint, baseline: SweepPoint) -> pd.DataFrame:
    """Rates, cost and changed turns of ``point`` beside the pack's current setting."""
    rows = []
    for name in (*RATES, "cost", "changed"):
        now, before = float(getattr(point, name)), float(getattr(baseline, name))
        rows.append(
            {
                "metric": LABELS[name],
                "value": now,
                "pack's current": before,
                "change": now - before,
                "better when": "lower" if name in LOWER_IS_BETTER else "higher",
            }
        )
    return pd.DataFrame(rows, columns=["metric", "value", "pack's current", "change", "better when"])


def axis_values(axis: str) -> list[float]:
    lo, hi, step = AXES[axis]
    count = round((hi - lo) / step)
    return [round(lo + step * i, 4) for i in range(count + 1)]


def _with(setting: Setting, axis: str, value: float) -> Setting:
    return Setting(
        intent=value if axis == "intent" else setting.intent,
        ood=value if axis == "ood" else setting.ood,
        ambiguity_margin=value if axis == "ambiguity_margin" else setting.ambiguity_margin,
        per_intent=setting.per_intent,
    )


def curve_frame(cset: CalibrationSet, setting: Setting, axis: str, values: Sequence[float]) -> pd.DataFrame:
    """Long table (threshold, metric, value) of the rates while ``axis`` sweeps ``values``, the
    other thresholds held at ``setting``."""
    rows = []
    for value in values:
        point = evaluate(cset, _with(setting, axis, value))
        for name in RATES:
            rows.append({"threshold": value, "metric": LABELS[name], "value": float(getattr(point, name))})
    return pd.DataFrame(rows, columns=["threshold", "metric", "value"])


def setting_rows(current: Setting, other: Setting) -> pd.DataFrame:
    """The thresholds that differ between two settings (``current`` → ``other``)."""
    names = sorted(set(current.per_intent) | set(other.per_intent))
    pairs = [
        ("intent", current.intent, other.intent),
        ("ood", current.ood, other.ood),
        ("ambiguity_margin", current.ambiguity_margin, other.ambiguity_margin),
        *((f"per_intent.{n}", current.per_intent.get(n), other.per_intent.get(n)) for n in names),
    ]
    rows = [{"threshold": k, "current": a, "proposed": b} for k, a, b in pairs if a != b]
    return pd.DataFrame(rows, columns=["threshold", "current", "proposed"])
