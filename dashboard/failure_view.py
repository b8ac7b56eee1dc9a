"""One failing case: the conversation, each reply, what was expected, and the trace with scores."""

from __future__ import annotations

import streamlit as st

from config.schema.battery import Case
from dashboard.battery_tables import expected_for_turn
from dashboard.widgets import show_trace
from evals.runner import CaseResult

__all__ = ["render_failure"]


def render_failure(result: CaseResult, case: Case) -> None:
    st.markdown(f"#### `{result.id}` · {result.battery} · tier {result.tier}")
    if result.notes:
        st.caption(result.notes)
    for n, turn in enumerate(result.turns):
        with st.container(border=True):
            st.chat_message("user").write(turn.user)
            bot = st.chat_message("assistant")
            bot.write(turn.reply or "*(no reply)*")
            bot.caption(f"action **{turn.action}** · intent **{turn.intent}** · reason {turn.reason or '—'}")
            expected = expected_for_turn(case, n)
            left, right = st.columns(2)
            left.markdown("**Expected**")
            left.json(expected or {"checked": False}, expanded=True)
            right.markdown("**Failures**")
            if turn.failures:
                for failure in turn.failures:
                    right.error(failure)
            else:
                right.success("this turn passes")
            with st.expander(
                f"Trace of turn {n + 1} ({len(turn.trace)} stages)", expanded=bool(turn.failures)
            ):
                show_trace(turn.trace, key=f"failure_trace_{result.id}_{n}")
