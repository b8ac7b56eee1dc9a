"""Saving a calibration: show the diff of thresholds.yaml, then write it and record who/when."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from config.compile.compiled import CompiledPack
from dashboard.settings import USER_ENV
from evals.calibration import Setting
from evals.threshold_file import diff, rewrite_thresholds

__all__ = ["default_user", "render_save"]

_SAVED = "cal_saved"


def default_user() -> str:
    try:
        return os.environ.get(USER_ENV) or getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without a passwd entry
        return ""


def render_save(path: Path, pack: CompiledPack, setting: Setting, current: Setting) -> None:
    st.subheader("Save to thresholds.yaml")
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        st.success(saved)
    file = path / "thresholds.yaml"
    if setting == current:
        st.caption("The sliders hold the pack's values: nothing to save.")
        return
    who = st.text_input("Recorded as", value=default_user(), key="cal_who")
    before = file.read_text(encoding="utf-8") if file.exists() else ""
    after = rewrite_thresholds(
        before, setting, who=who.strip() or "?", when=datetime.now(UTC), pack_version=pack.version
    )
    st.code(diff(before, after, str(file)) or "(no change)", language="diff")
    if st.button("Write thresholds.yaml", key="cal_save", disabled=not who.strip()):
        # Recompute at the moment of writing so the recorded time is the time of the write.
        after = rewrite_thresholds(
            before, setting, who=who.strip(), when=datetime.now(UTC), pack_version=pack.version
        )
        file.write_text(after, encoding="utf-8")
        st.session_state[_SAVED] = f"Wrote {file} (by {who.strip()}). The pack is recompiled and re-scored."
        st.rerun()
