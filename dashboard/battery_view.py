"""Batteries page: pick tenant, batteries and tiers; run; rates, trends, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import streamlit as st

from config.compile.compiled import CompiledPack
from config.schema.battery import Case
from dashboard.battery_tables import category_table, failure_table, tier_table
from dashboard.failure_view import render_failure
from dashboard.loaders import run_battery, select_cases
from dashboard.runs import load_runs, newly_failing, run_record, save_run, selection_key, trend_frame
from dashboard.settings import runs_root
from dashboard.widgets import pick_pack
from evals.metrics import score
from evals.runner import CaseResult

__all__ = ["render_batteries"]

_LAST = "batteries_last_run"
_RATE = st.column_config.ProgressColumn("pass rate", format="percent", min_value=0.0, max_value=1.0)


def render_batteries() -> None:
    st.title("Batteries")
    picked = pick_pack("batteries_tenant")
    if picked is None:
        return
    path, pack = picked
    names = sorted(pack.source.batteries)
    tiers_all = sorted({c.tier for cs in pack.source.batteries.values() for c in cs})
    left, right, button = st.columns([3, 2, 1], vertical_alignment="bottom")
    batteries = tuple(left.multiselect("Batteries (none = all)", names, key="batteries_pick"))
    tiers = tuple(right.multiselect("Tiers (none = all)", tiers_all, key="batteries_tiers"))
    count = len(select_cases(pack, batteries, tiers))
    if button.button("Run", type="primary", key="batteries_run", disabled=count == 0):
        _run(path, pack, batteries, tiers)
    last = st.session_state.get(_LAST)
    if last is None or last["tenant"] != pack.tenant_id or last["key"] != selection_key(batteries, tiers):
        st.info(f"{count} case(s) selected. Press **Run** to run them through the engine in-process.")
        _render_trend(pack.tenant_id, selection_key(batteries, tiers))
        return
    results = run_battery(str(path), last["version"], batteries, tiers)
    _render_results(pack, results, batteries, tiers, last)


def _run(path: Path, pack: CompiledPack, batteries: tuple[str, ...], tiers: tuple[str, ...]) -> None:
    key = selection_key(batteries, tiers)
    previous_runs = load_runs(runs_root(), pack.tenant_id, key)
    results = run_battery(str(path), pack.version, batteries, tiers)
    scores = score(results, [c for _, c in select_cases(pack, batteries, tiers)], pack)
    record = run_record(
        tenant=pack.tenant_id,
        pack_version=pack.version,
        batteries=batteries,
        tiers=tiers,
        results=results,
        scores=scores,
        when=datetime.now(UTC),
    )
    save_run(runs_root(), record)
    st.session_state[_LAST] = {
        "tenant": pack.tenant_id,
        "key": key,
        "version": pack.version,
        "previous": previous_runs[-1] if previous_runs else None,
    }


def _render_results(
    pack: CompiledPack,
    results: list[CaseResult],
    batteries: tuple[str, ...],
    tiers: tuple[str, ...],
    last: dict[str, object],
) -> None:
    cases = [c for _, c in select_cases(pack, batteries, tiers)]
    scores = score(results, cases, pack)
    previous = last.get("previous")
    before = previous.get("metrics", {}) if isinstance(previous, dict) else {}
    cols = st.columns(4)
    for col, name in zip(cols, ["all", "law_recall", "gate_recall", "truth_accuracy"], strict=True):
        if name in scores.metrics:
            delta = scores.metrics[name] - before[name] if name in before else None
            col.metric(name, f"{scores.metrics[name]:.1%}", None if delta is None else f"{delta:+.1%}")
    st.caption(f"{scores.passed}/{scores.cases} cases passed · pack version {pack.version[:12]}")
    left, right = st.columns(2)
    left.subheader("Per tier")
    left.dataframe(tier_table(results), hide_index=True, column_config={"pass rate": _RATE})
    right.subheader("Per category")
    right.dataframe(category_table(results, cases, pack), hide_index=True, column_config={"pass rate": _RATE})
    regressed = newly_failing(previous if isinstance(previous, dict) else None, results)
    if regressed:
        st.warning(f"Newly failing since the previous run: {', '.join(regressed)}")
    _render_trend(pack.tenant_id, selection_key(batteries, tiers))
    _render_failures(results, cases)


def _render_trend(tenant: str, key: str) -> None:
    runs = load_runs(runs_root(), tenant, key)
    if len(runs) < 2:
        st.caption("Trends appear after two runs of the same batteries and tiers.")
        return
    st.subheader("Trend against previous runs")
    frame = trend_frame(runs)
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("when:T", title="run"),
            y=alt.Y("value:Q", title="rate", scale=alt.Scale(domain=[0, 1])),
            color="metric:N",
            tooltip=["when:T", "metric:N", alt.Tooltip("value:Q", format=".1%")],
        )
        .properties(height=240)
    )
    st.altair_chart(chart)


def _render_failures(results: list[CaseResult], cases: list[Case]) -> None:
    table = failure_table(results)
    st.subheader(f"Failures ({len(table)})")
    if table.empty:
        st.success("Every selected case passes.")
        return
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="batteries_failures",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    ids = list(table["case"])
    if rows and rows[0] < len(ids) and st.session_state.get("batteries_row") != rows[0]:
        st.session_state["batteries_row"] = rows[0]  # a new click wins over the selectbox once
        st.session_state["batteries_inspect"] = ids[rows[0]]
    chosen = st.selectbox("Inspect a failure (or click a row above)", ids, key="batteries_inspect")
    by_id = {r.id: r for r in results}
    case_by_id = {c.id: c for c in cases}
    render_failure(by_id[str(chosen)], case_by_id[str(chosen)])
