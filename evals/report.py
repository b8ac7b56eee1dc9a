"""Render eval results as text, JSON, JUnit XML or Markdown."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import msgspec

from evals.metrics import Scores
from evals.runner import CaseResult

__all__ = ["render"]

_ORDER = (
    "all",
    "core",
    "full",
    "long",
    "law_recall",
    "gate_recall",
    "ood_false_answer_rate",
    "truth_accuracy",
    "booking_slot_accuracy",
    "intent_agreement",
    "escalate",
    "booking_flow",
)


def _metric_lines(scores: Scores) -> list[str]:
    names = [n for n in _ORDER if n in scores.metrics] + sorted(set(scores.metrics) - set(_ORDER))
    return [f"  {n:<24} {scores.metrics[n]:7.2%}  (n={scores.counts.get(n, 0)})" for n in names]


def _failure_text(r: CaseResult, trace: bool) -> list[str]:
    lines = [f"FAIL {r.id} [{r.battery}, tier {r.tier}]"]
    for i, t in enumerate(r.turns):
        mark = "✗" if t.failures else " "
        lines.append(f"  {mark} turn {i + 1}: {t.user!r}")
        if t.failures or i == len(r.turns) - 1:
            lines.append(
                f"      → {t.action}/{t.intent}{' (' + t.reason + ')' if t.reason else ''}: {t.reply!r}"
            )
        for f in t.failures:
            lines.append(f"      ! {f}")
        if t.failures and trace:
            for e in t.trace:
                if e.get("decision") != "pass" or e.get("stage") == "intent":
                    lines.append(
                        f"      · {e.get('stage')}: {e.get('decision')} {e.get('reason', '')} "
                        f"{e.get('scores', '')}"
                    )
    return lines


def _text(results: list[CaseResult], scores: Scores, baseline_regressions: list[str], trace: bool) -> str:
    out = []
    for r in results:
        if not r.passed:
            out.extend(_failure_text(r, trace))
    out.append(f"\n{scores.passed}/{scores.cases} cases passed")
    out.extend(_metric_lines(scores))
    if baseline_regressions:
        out.append(
            f"regressions against baseline ({len(baseline_regressions)}): {', '.join(baseline_regressions)}"
        )
    return "\n".join(out) + "\n"


def _junit(results: list[CaseResult], scores: Scores) -> str:
    failures = scores.cases - scores.passed
    rows = [f'<testsuite name="truffles-eval" tests="{scores.cases}" failures="{failures}">']
    for r in results:
        rows.append(f"  <testcase classname={quoteattr(r.battery)} name={quoteattr(r.id)}>")
        if not r.passed:
            detail = "\n".join(_failure_text(r, trace=False))
            rows.append(
                f"    <failure message={quoteattr('; '.join(f for t in r.turns for f in t.failures))}>"
                f"{escape(detail)}</failure>"
            )
        rows.append("  </testcase>")
    rows.append("</testsuite>")
    return "\n".join(rows) + "\n"


def _markdown(results: list[CaseResult], scores: Scores) -> str:
    rows = ["| metric | value | n |", "|---|---|---|"]
    rows += [f"| {n} | {v:.2%} | {scores.counts.get(n, 0)} |" for n, v in scores.metrics.items()]
    failed = [r for r in results if not r.passed]
    if failed:
        rows += ["", "| case | turn | reply | failures |", "|---|---|---|---|"]
        for r in failed:
            t = next(t for t in r.turns if t.failures)
            reply = t.reply.replace("|", "\\|").replace("\n", " ")[:160]
            rows.append(f"| {r.id} | {t.user} | {reply} | {'; '.join(t.failures)} |")
    return "\n".join(rows) + "\n"


def render(
    fmt: str, results: list[CaseResult], scores: Scores, regressions: list[str], *, trace: bool = True
) -> str:
    if fmt == "json":
        payload = {"summary": scores, "regressions": regressions, "cases": results}
        return msgspec.json.format(msgspec.json.encode(payload).decode(), indent=1) + "\n"
    if fmt == "junit":
        return _junit(results, scores)
    if fmt == "md":
        return _markdown(results, scores)
    return _text(results, scores, regressions, trace)
