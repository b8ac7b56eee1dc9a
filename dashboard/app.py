"""Entry point: ``truffles dashboard`` (or ``streamlit run dashboard/app.py``).

Nothing is shown before the staff password (``TRUFFLES_DASHBOARD_PASSWORD``) is given.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.auth import require_login

PAGES = Path(__file__).resolve().parent / "pages"

NAVIGATION = (
    ("batteries.py", "Batteries", ":material/checklist:"),
    ("calibration.py", "Calibration", ":material/tune:"),
    ("try_it.py", "Try it", ":material/chat:"),
    ("isolation.py", "Isolation", ":material/shield:"),
    ("service_health.py", "Service health", ":material/monitor_heart:"),
)


def main() -> None:
    st.set_page_config(page_title="Truffles dashboard", page_icon=":material/insights:", layout="wide")
    if not require_login():
        return
    pages = [
        st.Page(str(PAGES / file), title=title, icon=icon, default=n == 0)
        for n, (file, title, icon) in enumerate(NAVIGATION)
    ]
    st.navigation(pages).run()


main()
