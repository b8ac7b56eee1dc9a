"""Isolation page (rendering lives in `dashboard/isolation_view.py`)."""

from __future__ import annotations

from dashboard.isolation_view import render_isolation

render_isolation()
