"""Isolation page: run the tenant-isolation contracts over every ordered pair of packs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
import streamlit as st

from config.compile.compiled import CompiledPack
from dashboard.isolation_tables import evidence, leak_table, pair_matrix
from dashboard.loaders import PackError, isolation_pairs, load_pack, pack_signature
from dashboard.settings import discover_packs, packs_root
from engine import ConversationState, decide
from evals.isolation import Leak
from evals.runner import DEFAULT_DATE

__all__ = ["render_isolation"]


def render_isolation() -> None:
    st.title("Isolation")
    st.caption(
        "For every ordered pair (A, B), A's batteries and probes naming B's services, prices, address "
        "and brand run through A; any text unique to B's pack in A's replies or traces is a leak."
    )
    packs = discover_packs(packs_root())
    chosen = st.multiselect("Packs", list(packs), default=list(packs), key="iso_packs")
    if len(chosen) < 2:
        st.warning("Choose at least two packs.")
        return
    loaded: dict[str, CompiledPack] = {}
    for name in chosen:
        try:
            loaded[name] = load_pack(str(packs[name]), pack_signature(packs[name]))
        except PackError as exc:
            st.error(f"{packs[name]} does not load: " + "; ".join(exc.problems[:5]))
            return
    if not st.button("Run the contracts", type="primary", key="iso_run") and not st.session_state.get(
        "iso_done"
    ):
        st.info(f"{len(chosen) * (len(chosen) - 1)} ordered pairs. Press **Run the contracts**.")
        return
    st.session_state["iso_done"] = True
    paths = tuple(str(packs[n]) for n in chosen)
    results = isolation_pairs(paths, tuple(p.version for p in loaded.values()))
    tenants = [p.tenant_id for p in loaded.values()]
    leaks = sum(len(r.leaks) for r in results)
    (st.error if leaks else st.success)(
        f"{len(results)} pairs, {sum(r.probes for r in results)} probes and "
        f"{sum(r.cases for r in results)} battery cases: {leaks} leak(s)."
    )
    st.subheader("Matrix")
    st.dataframe(pair_matrix(results, tenants), key="iso_matrix")
    if not leaks:
        return
    st.subheader("Leaks")
    table = leak_table(results)
    st.dataframe(table, hide_index=True, key="iso_leaks")
    all_leaks = [leak for r in results for leak in r.leaks]
    pick = st.selectbox(
        "Evidence for",
        range(len(all_leaks)),
        key="iso_pick",
        format_func=lambda i: f"{all_leaks[i].tenant} ← {all_leaks[i].other}: {all_leaks[i].fingerprint}",
    )
    by_tenant = {p.tenant_id: p for p in loaded.values()}
    _evidence(by_tenant[all_leaks[int(pick)].tenant], all_leaks[int(pick)])


def _evidence(pack: CompiledPack, leak: Leak) -> None:
    """Replay the customer's message on a fresh conversation and show where the fingerprint sits."""
    now = datetime.combine(
        DEFAULT_DATE, datetime.min.time().replace(hour=12), ZoneInfo(pack.source.tenant.timezone)
    )
    decision = decide(pack, ConversationState(), leak.message, now)
    text = decision.reply if leak.where == "reply" else msgspec.json.encode(decision.trace).decode()
    st.markdown(f"**Customer:** {leak.message}")
    snippet = evidence(text, leak.fingerprint)
    if snippet is None:
        st.caption(
            "Replayed alone (without the rest of its conversation) the message no longer shows the "
            f"fingerprint; it appeared in the {leak.where} of case `{leak.case}`."
        )
    else:
        st.markdown(f"**In the {leak.where}:** {snippet}")
