from __future__ import annotations

import streamlit as st


def render_service_health() -> None:
    st.title("todo")
