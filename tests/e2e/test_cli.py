"""`truffles demo-conversation`: the three live-smoke messages through the real HTTP webhook path."""

from __future__ import annotations

import logging

import pytest

from cli.main import main


def test_demo_conversation_prints_what_the_emulator_delivered(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRUFFLES_COALESCE_SECONDS", "0.05")
    monkeypatch.delenv("TRUFFLES_DATABASE_URL", raising=False)
    root = logging.getLogger()
    level = root.level
    try:
        assert main(["demo-conversation"]) == 0
    finally:
        root.setLevel(level)  # the command quiets logging for its own output
    out = capsys.readouterr().out
    assert out.count("webhook: HTTP 200") == 3
    assert out.count("delivered by the emulator") == 3
    assert "2 500 ₸" in out and "Абая 150" in out and "день и время" in out
    assert "no reply within" not in out
