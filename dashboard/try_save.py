"""The "save as a battery case" form of the Try it page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from config.compile.compiled import CompiledPack
from config.files import read_pack_dir
from dashboard.chat_case import DASHBOARD_BATTERY, ChatTurn, append_case, case_from_chat, validate_battery

__all__ = ["render_save_case"]

ACTIONS = ["reply", "escalate", "booking_flow", "clarify", "drop", "silent"]


def render_save_case(path: Path, pack: CompiledPack, turns: list[dict[str, Any]], start: datetime) -> None:
    done = st.session_state.pop("try_saved", None)
    if done:
        st.success(done)
    with st.expander("Save this conversation as a battery case", expanded=False):
        st.caption(
            f"Appended to `{path / DASHBOARD_BATTERY}` (tier `full`) after validation. "
            "The expected values start as what the bot did: correct them where it was wrong."
        )
        with st.form("try_case"):
            case_id = st.text_input(
                "Case id", value=f"dashboard-{start:%Y%m%d-%H%M}-{len(turns)}", key="try_id"
            )
            chat_turns = [_turn_fields(n, t) for n, t in enumerate(turns)]
            notes = st.text_input("Notes (why this case exists)", key="try_notes")
            submitted = st.form_submit_button("Add to the battery", type="primary")
        if submitted:
            _save(path, case_id.strip(), chat_turns, start, notes)


def _turn_fields(n: int, turn: dict[str, Any]) -> ChatTurn:
    st.markdown(f"**Turn {n + 1}:** {turn['user']}")
    left, mid, right = st.columns(3)
    action = left.selectbox(
        "expected action",
        ACTIONS,
        index=ACTIONS.index(turn["action"]) if turn["action"] in ACTIONS else 0,
        key=f"try_action_{n}",
    )
    intent = mid.text_input("expected intent", value=turn["intent"], key=f"try_intent_{n}")
    must = right.text_input("reply must include (comma-separated)", key=f"try_must_{n}")
    return ChatTurn(
        user=turn["user"],
        reply=turn["reply"],
        action=turn["action"],
        intent=turn["intent"],
        expected_action=str(action),
        expected_intent=intent.strip() or None,
        must_include=tuple(s.strip() for s in must.split(",") if s.strip()),
    )


def _save(path: Path, case_id: str, turns: list[ChatTurn], start: datetime, notes: str) -> None:
    if not case_id:
        st.error("Give the case an id.")
        return
    file = path / DASHBOARD_BATTERY
    existing = file.read_text(encoding="utf-8") if file.exists() else None
    case = case_from_chat(
        case_id, turns, local_date=start.date().isoformat(), local_time=f"{start:%H:%M}", notes=notes
    )
    text = append_case(existing, case)
    errors = validate_battery(text, read_pack_dir(path))
    if errors:
        st.error("Not written: the case would break the battery file.")
        st.code("\n".join(errors))
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    st.session_state["try_saved"] = f"Added case `{case_id}` to {file}."
    st.rerun()
