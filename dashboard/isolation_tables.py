"""Pure tables of the tenant-isolation contracts: the pair matrix, the leaks, their evidence."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evals.isolation import PairResult

__all__ = ["EVIDENCE_CONTEXT", "evidence", "leak_table", "pair_matrix"]

EVIDENCE_CONTEXT = 60  # characters shown on each side of a leaked fingerprint


def pair_matrix(results: Sequence[PairResult], tenants: Sequence[str]) -> pd.DataFrame:
    """Rows: the tenant answering (A); columns: the tenant whose data must not appear (B).
    Cells: ``ok``, ``N leak(s)``, or ``—`` on the diagonal / for pairs not run."""
    cell = {(r.tenant, r.other): ("ok" if not r.leaks else f"{len(r.leaks)} leak(s)") for r in results}
    rows = {a: {b: cell.get((a, b), "—") for b in tenants} for a in tenants}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(tenants))
    frame.index.name = "A answers \\ B's data"
    return frame


def leak_table(results: Sequence[PairResult]) -> pd.DataFrame:
    rows = [
        {
            "tenant": leak.tenant,
            "leaked from": leak.other,
            "case": leak.case,
            "where": leak.where,
            "fingerprint": leak.fingerprint,
            "customer said": leak.message,
        }
        for r in results
        for leak in r.leaks
    ]
    return pd.DataFrame(
        rows, columns=["tenant", "leaked from", "case", "where", "fingerprint", "customer said"]
    )


def evidence(text: str, fingerprint: str, context: int = EVIDENCE_CONTEXT) -> str | None:
    """The part of ``text`` around ``fingerprint`` (case-insensitive), the match in ``**bold**``;
    None when it does not occur."""
    at = text.lower().find(fingerprint.lower())
    if at < 0:
        return None
    end = at + len(fingerprint)
    before = ("…" if at > context else "") + text[max(0, at - context) : at]
    after = text[end : end + context] + ("…" if end + context < len(text) else "")
    return f"{before}**{text[at:end]}**{after}"
