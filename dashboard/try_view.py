"""Try it: chat with a pack as a customer, the trace beside each reply; save the chat as a case."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import streamlit as st

from config.compile.compiled import CompiledPack
from dashboard.try_save import render_save_case
from dashboard.widgets import pick_pack, show_trace
from engine import ConversationState, decide
from evals.runner import TURN_GAP

__all__ = ["render_try_it"]

_CHAT = "try_chat"


def _fresh(pack: CompiledPack, path: Path) -> dict[str, Any]:
    return {
        "tenant": pack.tenant_id,
        "path": str(path),
        "version": pack.version,
        "turns": [],
        "state": ConversationState(),
    }


def _chat(pack: CompiledPack, path: Path) -> dict[str, Any]:
    chat = st.session_state.get(_CHAT)
    if not isinstance(chat, dict) or chat.get("path") != str(path):
        chat = _fresh(pack, path)
        st.session_state[_CHAT] = chat
    return chat


def _clock(pack: CompiledPack) -> datetime:
    zone = ZoneInfo(pack.source.tenant.timezone)
    now = datetime.now(zone)
    st.sidebar.markdown("**Customer's local time** (of the first message)")
    day = st.sidebar.date_input("Date", value=now.date(), key="try_date")
    hhmm = st.sidebar.time_input("Time", value=time(now.hour, now.minute), key="try_time", step=300)
    return datetime.combine(day, hhmm, tzinfo=zone)


def render_try_it() -> None:
    st.title("Try it")
    picked = pick_pack("try_tenant")
    if picked is None:
        return
    path, pack = picked
    start = _clock(pack)
    chat = _chat(pack, path)
    if st.sidebar.button("New conversation", key="try_reset"):
        chat = _fresh(pack, path)
        st.session_state[_CHAT] = chat
    if chat["version"] != pack.version:
        st.info("The pack changed since this conversation started; new replies use the new version.")
    st.caption(
        f"Talking to **{pack.source.tenant.name}** as a customer; the engine's trace is beside each reply."
    )
    text = st.chat_input("Write as the customer…", key="try_input")
    if text:
        _say(pack, chat, text, start)
    for n, turn in enumerate(chat["turns"]):
        _show_turn(n, turn, last=n == len(chat["turns"]) - 1)
    if chat["turns"]:
        render_save_case(path, pack, chat["turns"], start)


def _say(pack: CompiledPack, chat: dict[str, Any], text: str, start: datetime) -> None:
    turns: list[dict[str, Any]] = chat["turns"]
    now = start + TURN_GAP * len(turns)
    decision = decide(pack, chat["state"], text, now)
    chat["state"] = decision.state
    chat["version"] = pack.version
    turns.append(
        {
            "user": text,
            "reply": decision.reply,
            "action": decision.action,
            "intent": decision.intent,
            "reason": decision.reason,
            "booking_slots": dict(decision.booking_slots),
            "effects": [msgspec.to_builtins(e) for e in decision.effects],
            "trace": [msgspec.to_builtins(t) for t in decision.trace],
        }
    )


def _show_turn(n: int, turn: dict[str, Any], *, last: bool) -> None:
    talk, trace = st.columns([2, 3], gap="medium")
    with talk:
        st.chat_message("user").write(turn["user"])
        bot = st.chat_message("assistant")
        bot.write(turn["reply"] or "*(no reply)*")
        facts = f"action **{turn['action']}** · intent **{turn['intent'] or '—'}** · {turn['reason'] or ''}"
        bot.caption(facts)
        if turn["booking_slots"]:
            bot.caption("booking: " + ", ".join(f"{k}={v}" for k, v in turn["booking_slots"].items()))
        if turn["effects"]:
            bot.caption("effects: " + ", ".join(str(e.get("kind")) for e in turn["effects"]))
    with trace, st.expander(f"Trace of turn {n + 1}", expanded=last):
        show_trace(turn["trace"], key=f"try_trace_{n}")
