"""Batteries page (rendering lives in `dashboard/battery_view.py`)."""

from __future__ import annotations

from dashboard.battery_view import render_batteries

render_batteries()
