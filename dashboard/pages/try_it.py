"""Try it page (rendering lives in `dashboard/try_view.py`)."""

from __future__ import annotations

from dashboard.try_view import render_try_it

render_try_it()
