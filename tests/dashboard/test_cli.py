"""``truffles dashboard`` and the shipped Streamlit config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cli.dashboard_commands import streamlit_command
from cli.main import main
from dashboard.auth import check_password

REPO = Path(__file__).resolve().parents[2]


def test_dashboard_refuses_to_start_without_a_password(monkeypatch, capsys):
    monkeypatch.delenv("TRUFFLES_DASHBOARD_PASSWORD", raising=False)
    assert main(["dashboard"]) == 2
    assert "export TRUFFLES_DASHBOARD_PASSWORD=" in capsys.readouterr().err


def test_streamlit_command_is_headless_without_usage_statistics():
    command = streamlit_command(8600, "127.0.0.1")
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("dashboard/app.py")
    assert {"--server.headless=true", "--browser.gatherUsageStats=false", "--server.port=8600"} <= set(
        command
    )


def test_shipped_config_turns_usage_statistics_off():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["headless"] is True


@pytest.mark.parametrize(
    ("given", "ok"), [("s3cret", True), ("s3cre", False), ("", False), ("S3CRET", False)]
)
def test_check_password(given, ok):
    assert check_password(given, "s3cret") is ok
