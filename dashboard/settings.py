"""Where the dashboard finds packs and stored runs, and the environment variables it reads."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "API_TOKEN_ENV",
    "API_URL_ENV",
    "PACKS_DIR_ENV",
    "PASSWORD_ENV",
    "RUNS_DIR_ENV",
    "USER_ENV",
    "discover_packs",
    "packs_root",
    "runs_root",
]

PASSWORD_ENV = "TRUFFLES_DASHBOARD_PASSWORD"
"""The staff password; the dashboard refuses to start without it."""
USER_ENV = "TRUFFLES_DASHBOARD_USER"
"""Default name recorded in thresholds.yaml when saving a calibration (else the login name)."""
PACKS_DIR_ENV = "TRUFFLES_PACKS_DIR"
"""Folder holding one pack folder per tenant (default ``./packs``)."""
RUNS_DIR_ENV = "TRUFFLES_EVAL_RUNS_DIR"
"""Folder for stored battery runs, one sub-folder per tenant (default ``./var/eval-runs``)."""
API_URL_ENV = "TRUFFLES_API_URL"
"""When set, Service health reads the service's ``/admin/metrics`` instead of the database."""
API_TOKEN_ENV = "TRUFFLES_ADMIN_TOKEN"
"""The admin token sent as ``X-Admin-Token`` to the service's admin routes."""


def packs_root() -> Path:
    return Path(os.environ.get(PACKS_DIR_ENV) or "packs")


def runs_root() -> Path:
    return Path(os.environ.get(RUNS_DIR_ENV) or "var/eval-runs")


def discover_packs(root: Path) -> dict[str, Path]:
    """Tenant folder name -> pack folder, for every folder under ``root`` with a ``tenant.yaml``."""
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / "tenant.yaml").is_file()}
