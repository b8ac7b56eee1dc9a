"""Render the drill results as a Markdown table: ``uv run python -m tests.drills.report [results.json]``."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.drills.results import DrillRecord, load_results, results_path

__all__ = ["main", "render"]

HEADER = (
    "| drill | fault | result | recovery (s) | customers | inbound accepted / lost | webhook retries "
    "| deliveries | sent twice | hand-overs | faults injected | notes |"
)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _row(r: DrillRecord) -> str:
    notes = "; ".join(f"{k} {v}" for k, v in r.extra.items())
    result = "pass" if r.passed else f"FAIL {r.error[:80]}".strip()
    cells = [
        r.drill, r.fault, result, _seconds(r.recovery_seconds), str(r.customers),
        f"{r.inbound_accepted} / {r.inbound_lost}", str(r.webhook_retries), str(r.deliveries),
        str(r.duplicates), str(r.handovers), str(r.faults_injected), notes,
    ]  # fmt: skip
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def render(records: dict[str, DrillRecord]) -> str:
    """The table, one row per drill, followed by the machine and load of the run."""
    if not records:
        return "No drill results yet: run `uv run pytest -q -m drill tests/drills`."
    lines = [HEADER, "|" + "---|" * 12]
    lines += [_row(r) for r in records.values()]
    first = next(iter(records.values()))
    loads = ", ".join(f"{r.load_1m:g}" for r in records.values())
    lines += ["", f"Machine: {first.machine}; 1-minute load average when each drill ended: {loads}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else results_path()
    print(render(load_results(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
