"""Rewrite a pack's ``thresholds.yaml`` with new values, keeping its comments and key order."""

from __future__ import annotations

import difflib
import io
from datetime import datetime

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from evals.calibration import Setting

__all__ = ["diff", "rewrite_thresholds"]

_MARK = "last calibration:"


def rewrite_thresholds(text: str, setting: Setting, *, who: str, when: datetime, pack_version: str) -> str:
    """Return ``text`` with the setting's values; records who and when in the file's closing comment."""
    yaml = YAML()
    yaml.preserve_quotes = True
    doc = yaml.load(text) or CommentedMap()
    doc["intent"] = setting.intent
    doc["ood"] = setting.ood
    doc["ambiguity_margin"] = setting.ambiguity_margin
    if setting.retrieval is not None:
        doc["retrieval"] = setting.retrieval
    per_intent = doc.get("per_intent")
    if not isinstance(per_intent, CommentedMap):
        per_intent = CommentedMap()
        doc["per_intent"] = per_intent
    for key in list(per_intent):
        if key not in setting.per_intent:
            del per_intent[key]
    for key, value in sorted(setting.per_intent.items()):
        per_intent[key] = value
    if not setting.per_intent:
        doc["per_intent"] = CommentedMap()
        doc["per_intent"].fa.set_flow_style()
    out = io.StringIO()
    yaml.dump(doc, out)
    lines = [line for line in out.getvalue().splitlines() if _MARK not in line]
    lines.append(f"# {_MARK} {when:%Y-%m-%d %H:%M} UTC by {who} (pack version {pack_version})")
    return "\n".join(lines) + "\n"


def diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), name, name))
