"""Small Streamlit pieces shared by the pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from config.compile.compiled import CompiledPack
from dashboard.loaders import PackError, load_pack, pack_signature
from dashboard.settings import PACKS_DIR_ENV, discover_packs, packs_root
from dashboard.traces import TRACE_WIDTHS, trace_table

__all__ = ["pick_pack", "show_trace"]


def pick_pack(key: str) -> tuple[Path, CompiledPack] | None:
    """A tenant picker; returns the pack folder and compiled pack, or None (after saying why)."""
    where = st.sidebar
    root = packs_root()
    packs = discover_packs(root)
    if not packs:
        where.warning(f"No packs under `{root}` (set {PACKS_DIR_ENV} to the folder holding the packs).")
        return None
    name = where.selectbox("Tenant", list(packs), key=key)
    path = packs[str(name)]
    try:
        return path, load_pack(str(path), pack_signature(path))
    except PackError as exc:
        where.error(f"`{path}` does not load; fix it (or run `truffles pack check {path}`):")
        where.code("\n".join(exc.problems[:50]) or "unknown problem")
        return None


def show_trace(trace: list[dict[str, object]], *, key: str) -> None:
    """The stage-by-stage trace as a table (scores best first)."""
    table: pd.DataFrame = trace_table(trace)
    config = {name: st.column_config.TextColumn(width=width) for name, width in TRACE_WIDTHS.items()}
    st.dataframe(table, hide_index=True, width="stretch", key=key, column_config=config)
