"""Staff-only access: a password from the environment, compared in constant time."""

from __future__ import annotations

import hmac
import os

import streamlit as st

from dashboard.settings import PASSWORD_ENV

__all__ = ["MISSING_PASSWORD_HELP", "check_password", "configured_password", "require_login"]

MISSING_PASSWORD_HELP = (
    f"The dashboard is for staff and will not start without a password. Set one in the environment, "
    f"e.g. `export {PASSWORD_ENV}='a long random phrase'`, then run `truffles dashboard` again."
)
_SESSION_KEY = "auth_ok"


def configured_password() -> str | None:
    """The configured password, or None when unset or blank."""
    value = os.environ.get(PASSWORD_ENV, "")
    return value if value.strip() else None


def check_password(given: str, expected: str) -> bool:
    """Constant-time comparison (the time taken does not depend on how much of ``given`` matches)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_login() -> bool:
    """Render the sign-in form until the right password is given; True once signed in."""
    expected = configured_password()
    if expected is None:
        st.error(MISSING_PASSWORD_HELP)
        return False
    if st.session_state.get(_SESSION_KEY):
        return True
    st.title("Truffles — analysts' dashboard")
    with st.form("login"):
        given = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if check_password(given, expected):
            st.session_state[_SESSION_KEY] = True
            st.session_state.pop("login_password", None)
            st.rerun()
        st.error("Wrong password.")
    return False
