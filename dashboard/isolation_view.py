from __future__ import annotations

import streamlit as st


def render_isolation() -> None:
    st.title("todo")
