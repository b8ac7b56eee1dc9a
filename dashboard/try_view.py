from __future__ import annotations

import streamlit as st


def render_try_it() -> None:
    st.title("todo")
