"""Service health page (rendering lives in `dashboard/service_view.py`)."""

from __future__ import annotations

from dashboard.service_view import render_service_health

render_service_health()
