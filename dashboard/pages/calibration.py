"""Calibration page (rendering lives in `dashboard/calibration_view.py`)."""

from __future__ import annotations

from dashboard.calibration_view import render_calibration

render_calibration()
