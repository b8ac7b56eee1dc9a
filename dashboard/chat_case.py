"""Turn a "Try it" conversation into a battery case: build it, append it, validate it. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from config.lint import check_files
from config.loader import load_battery

__all__ = [
    "DASHBOARD_BATTERY",
    "FILE_HEADER",
    "ChatTurn",
    "append_case",
    "case_from_chat",
    "validate_battery",
]

DASHBOARD_BATTERY = "batteries/dashboard.yaml"
FILE_HEADER = (
    '# Cases written from the dashboard\'s "Try it" page (tier: full).\n'
    "# Edit freely: the dashboard only appends; each case was validated before it was written.\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatTurn:
    """One exchange of the conversation and what the analyst expects of it."""

    user: str
    reply: str
    action: str
    intent: str
    expected_action: str | None = None
    expected_intent: str | None = None
    must_include: tuple[str, ...] = ()


def _expected(turn: ChatTurn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if turn.expected_action:
        out["action"] = turn.expected_action
    if turn.expected_intent:
        out["intent"] = turn.expected_intent
    if turn.must_include:
        out["must_include"] = list(turn.must_include)
    return out


def case_from_chat(
    case_id: str,
    turns: Sequence[ChatTurn],
    *,
    local_date: str,
    local_time: str,
    notes: str = "",
    tier: str = "full",
) -> dict[str, Any]:
    """A battery case (as a plain mapping in the battery's field order) replaying ``turns``."""
    if not turns:
        raise ValueError("an empty conversation makes no case: say something first")
    case: dict[str, Any] = {"id": case_id, "tier": tier}
    if len(turns) == 1:
        case["user"] = turns[0].user
    else:
        case["turns"] = [
            {"user": t.user, **({"expected": _expected(t)} if _expected(t) and i < len(turns) - 1 else {})}
            for i, t in enumerate(turns)
        ]
    case.update({"local_date": local_date, "local_time": local_time, "tags": ["dashboard"]})
    if notes.strip():
        case["notes"] = notes.strip()
    last = _expected(turns[-1])
    if last:
        case["expected"] = last
    return case


def append_case(existing: str | None, case: Mapping[str, Any]) -> str:
    """The battery file's text with ``case`` appended (existing text and comments kept verbatim)."""
    block = yaml.safe_dump([dict(case)], allow_unicode=True, sort_keys=False, width=100)
    head = existing if existing and existing.strip() else FILE_HEADER
    if not head.endswith("\n"):
        head += "\n"
    return f"{head}\n{block}"


def validate_battery(text: str, pack_files: Mapping[str, bytes], name: str = DASHBOARD_BATTERY) -> list[str]:
    """Every error the battery file (``text``) would have, alone and linted inside its pack (an
    intent that does not exist, a repeated id …); problems of the pack's other files are not its."""
    _cases, problems = load_battery(text.encode("utf-8"), name)
    errors = [p.render() for p in problems if p.severity == "error"]
    if errors:
        return errors
    files = {**pack_files, name: text.encode("utf-8")}
    _source, pack_problems = check_files(files)
    return [p.render() for p in pack_problems if p.severity == "error" and p.file == name]
