"""Calibration page: sliders re-score the cached scoring pass live; propose; save with a diff."""

from __future__ import annotations

import time
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from config.compile.compiled import OFF_TOPIC, CompiledPack
from dashboard.calibration_save import render_save
from dashboard.calibration_tables import (
    AXES,
    axis_values,
    curve_frame,
    point_table,
    setting_from,
    setting_rows,
)
from dashboard.loaders import calibration_set
from dashboard.widgets import pick_pack
from evals.calibration import CalibrationSet, Setting, SweepPoint, evaluate, propose

__all__ = ["render_calibration"]

_FOR = "cal_for"
_PROPOSED = "cal_proposed"
_SETTING = "cal_setting"


def render_calibration() -> None:
    st.title("Calibration")
    picked = pick_pack("cal_tenant")
    if picked is None:
        return
    path, pack = picked
    names = sorted(pack.source.batteries)
    batteries = tuple(st.sidebar.multiselect("Batteries (none = all)", names, key="cal_batteries"))
    cset = calibration_set(str(path), pack.version, batteries)
    if not cset.turns:
        st.warning("No battery turn of this pack reaches the intent stage: nothing to calibrate.")
        return
    _reset_if_new(path, pack, cset)
    intents = sorted({i.id for i in pack.source.intents} - {OFF_TOPIC})
    sliders, results = st.columns([2, 3], gap="large")
    with sliders:
        setting = _sliders(intents)
        st.button("Propose", key="cal_propose", on_click=_propose, args=(cset, intents), type="primary")
        st.button("Back to the pack's values", key="cal_reset", on_click=_apply, args=(cset.current, intents))
    st.session_state[_SETTING] = setting
    started = time.perf_counter()
    point = evaluate(cset, setting)
    elapsed = time.perf_counter() - started
    baseline = evaluate(cset, cset.current)
    with results:
        _metrics(point, baseline)
        st.caption(
            f"Re-scored {len(cset.turns)} turns of {len(cset.case_turns)} cases in "
            f"{elapsed * 1000:.1f} ms from one cached scoring pass (pack version {cset.pack_version[:12]}). "
            "Changed turns are judged by intent and action only: confirm with a real run."
        )
        st.dataframe(
            point_table(point, baseline),
            hide_index=True,
            key="cal_points",
            column_config={
                c: st.column_config.NumberColumn(format="%.4f") for c in ("value", "pack's current", "change")
            },
        )
    _curves(cset, setting)
    proposed = st.session_state.get(_PROPOSED)
    if isinstance(proposed, SweepPoint):
        st.subheader("Proposal (applied to the sliders)")
        st.dataframe(setting_rows(cset.current, proposed.setting), hide_index=True, key="cal_proposal")
    render_save(path, pack, setting, cset.current)


def _reset_if_new(path: Path, pack: CompiledPack, cset: CalibrationSet) -> None:
    marker = (str(path), pack.version)
    if st.session_state.get(_FOR) != marker:
        st.session_state[_FOR] = marker
        st.session_state.pop(_PROPOSED, None)
        _apply(cset.current, sorted({i.id for i in pack.source.intents}))
    elif "cal_intent" not in st.session_state:  # back from another page: Streamlit dropped the widgets
        kept = st.session_state.get(_SETTING)
        _apply(
            kept if isinstance(kept, Setting) else cset.current, sorted({i.id for i in pack.source.intents})
        )


def _apply(setting: Setting, intents: list[str]) -> None:
    """Put ``setting`` into the sliders' state (runs before the widgets are drawn)."""
    st.session_state["cal_intent"] = float(setting.intent)
    st.session_state["cal_ood"] = float(setting.ood)
    st.session_state["cal_margin"] = float(setting.ambiguity_margin)
    own = [i for i in sorted(setting.per_intent) if i in intents]
    st.session_state["cal_own"] = own
    for intent in own:
        st.session_state[f"cal_pi_{intent}"] = float(setting.per_intent[intent])


def _propose(cset: CalibrationSet, intents: list[str]) -> None:
    best, _points = propose(cset)
    st.session_state[_PROPOSED] = best
    _apply(best.setting, intents)


def _sliders(intents: list[str]) -> Setting:
    intent = st.slider("Intent threshold", *AXES["intent"][:2], step=0.01, key="cal_intent")
    ood = st.slider("Out-of-domain threshold", *AXES["ood"][:2], step=0.01, key="cal_ood")
    margin = st.slider("Ambiguity margin", *AXES["ambiguity_margin"][:2], step=0.005, key="cal_margin")
    with st.expander("Per-intent thresholds", expanded=bool(st.session_state.get("cal_own"))):
        own = st.multiselect("Intents with their own threshold", intents, key="cal_own")
        per_intent = {}
        for name in own:
            key = f"cal_pi_{name}"
            if key not in st.session_state:
                st.session_state[key] = float(intent)
            per_intent[name] = st.slider(name, 0.10, 0.90, step=0.01, key=key)
    return setting_from(intent, ood, margin, per_intent)


def _metrics(point: SweepPoint, baseline: SweepPoint) -> None:
    top = st.columns(3)
    bottom = st.columns(3)
    cells = [
        (top[0], "Pass rate", point.pass_rate, baseline.pass_rate, "normal"),
        (top[1], "Wrong answers", point.wrong_answer_rate, baseline.wrong_answer_rate, "inverse"),
        (
            top[2],
            "Needless clarify/escalation",
            point.needless_clarify_rate,
            baseline.needless_clarify_rate,
            "inverse",
        ),
        (bottom[0], "Clarify rate", point.clarify_rate, baseline.clarify_rate, "inverse"),
    ]
    for col, label, now, before, colour in cells:
        delta = f"{now - before:+.2%}" if abs(now - before) > 1e-12 else None
        col.metric(label, f"{now:.2%}", delta, delta_color=colour)  # type: ignore[arg-type]
    cost_delta = f"{point.cost - baseline.cost:+g}" if point.cost != baseline.cost else None
    bottom[1].metric("Cost", f"{point.cost:g}", cost_delta, delta_color="inverse")
    bottom[2].metric("Turns changed", str(point.changed))


def _curves(cset: CalibrationSet, setting: Setting) -> None:
    st.subheader("Curves")
    axis = st.radio("Sweep", list(AXES), horizontal=True, key="cal_axis")
    frame = curve_frame(cset, setting, str(axis), axis_values(str(axis)))
    here = {"intent": setting.intent, "ood": setting.ood, "ambiguity_margin": setting.ambiguity_margin}[
        str(axis)
    ]
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("threshold:Q", title=f"{axis} threshold"),
            y=alt.Y("value:Q", title="rate", axis=alt.Axis(format="%")),
            color=alt.Color("metric:N", legend=alt.Legend(orient="bottom")),
            tooltip=["threshold:Q", "metric:N", alt.Tooltip("value:Q", format=".2%")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"threshold": [here]})).mark_rule(strokeDash=[4, 4]).encode(x="threshold:Q")
    st.altair_chart((lines + rule).properties(height=300))
