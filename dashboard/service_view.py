"""Service health: per-tenant SLA, outbox backlog and retries, rates over time, open hand-overs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import altair as alt
import streamlit as st

from dashboard.service_data import ServiceReport, handover_frame, outbox_frame, rates_frame, sla_frame
from dashboard.service_source import ApiSource, DatabaseSource, NoServiceData, readonly_engine
from dashboard.settings import API_TOKEN_ENV, API_URL_ENV
from storage.db import database_url_from_env

__all__ = ["render_service_health"]

CACHE_SECONDS = 30  # numbers are at most this old; "Refresh" clears them


@st.cache_resource(show_spinner=False)
def _database(url: str) -> DatabaseSource:
    return DatabaseSource(readonly_engine(url), f"database {url.split('@')[-1]} (read-only)")


def _source() -> DatabaseSource | ApiSource:
    api = os.environ.get(API_URL_ENV, "").strip()
    if api:
        return ApiSource(api, os.environ.get(API_TOKEN_ENV, ""))
    return _database(database_url_from_env())


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reading the service's numbers…")
def _tenants(api_url: str, db_url: str) -> list[str]:
    del api_url, db_url  # cache keys: the source is chosen from them
    return _source().tenants()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reading the service's numbers…")
def _report(api_url: str, db_url: str, tenant: str, days: int, today: str) -> ServiceReport:
    del api_url, db_url
    last = datetime.fromisoformat(today).date()
    return _source().report(tenant, last - timedelta(days=days - 1), last, datetime.now(UTC))


def _empty(reason: str) -> None:
    st.info(
        "**No service data yet.** " + reason + "\n\n"
        "Start the service (`truffles serve`) and send it a few messages, or point the dashboard at a "
        f"running one: `{API_URL_ENV}=http://host:port` with `{API_TOKEN_ENV}`, or at its database with "
        "`TRUFFLES_DATABASE_URL`."
    )


def render_service_health() -> None:
    st.title("Service health")
    keys = (os.environ.get(API_URL_ENV, "").strip(), database_url_from_env())
    if st.sidebar.button("Refresh", key="svc_refresh"):
        _tenants.clear()
        _report.clear()
    try:
        tenants = _tenants(*keys)
    except NoServiceData as exc:
        _empty(str(exc))
        return
    if not tenants:
        _empty("The service has no tenants with messages yet.")
        return
    tenant = st.sidebar.selectbox("Tenant", tenants, key="svc_tenant")
    days = st.sidebar.slider("Days", 1, 30, 7, key="svc_days")
    try:
        report = _report(*keys, str(tenant), int(days), datetime.now(UTC).date().isoformat())
    except NoServiceData as exc:
        _empty(str(exc))
        return
    st.caption(f"From the {report.source}; at most {CACHE_SECONDS} s old. Days are UTC.")
    for note in report.notes:
        st.caption(note)
    if report.empty:
        _empty(f"Nothing recorded for `{tenant}` in the last {days} day(s).")
        return
    _render_report(report)


def _render_report(report: ServiceReport) -> None:
    backlog = report.backlog
    cols = st.columns(4)
    age = backlog.get("oldest_pending_age_seconds")
    cols[0].metric("Outbox backlog", str(backlog.get("outbox_backlog") or 0))
    cols[1].metric("Oldest pending", "—" if age is None else f"{float(age):.0f} s")
    outbox = outbox_frame(report.days)
    cols[2].metric("Retries", str(int(outbox["retries"].sum())) if not outbox.empty else "0")
    cols[3].metric("Open hand-overs", "—" if report.handovers is None else str(len(report.handovers)))
    sla = sla_frame(report.days)
    st.subheader("SLA (seconds)")
    if sla.empty:
        st.caption("No decided or sent messages in this window.")
    else:
        chart = (
            alt.Chart(sla.melt(id_vars=["day", "stage"], value_vars=["p50", "p90"], var_name="percentile"))
            .mark_line(point=True)
            .encode(
                x="day:T",
                y=alt.Y("value:Q", title="seconds"),
                color="stage:N",
                strokeDash="percentile:N",
                tooltip=["day:T", "stage:N", "percentile:N", alt.Tooltip("value:Q", format=".2f")],
            )
            .properties(height=240)
        )
        st.altair_chart(chart)
        seconds = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(sla, hide_index=True, key="svc_sla", column_config={"p50": seconds, "p90": seconds})
    rates = rates_frame(report.days)
    st.subheader("Escalation, clarify and OOD rates")
    if not rates.empty:
        st.altair_chart(
            alt.Chart(rates)
            .mark_line(point=True)
            .encode(
                x="day:T",
                y=alt.Y("value:Q", axis=alt.Axis(format="%"), title="share of turns"),
                color="rate:N",
                tooltip=["day:T", "rate:N", alt.Tooltip("value:Q", format=".1%")],
            )
            .properties(height=220)
        )
    st.subheader("Outbox per day")
    st.dataframe(outbox, hide_index=True, key="svc_outbox")
    st.subheader("Open hand-overs")
    if report.handovers is None:
        st.caption("Not available from this source.")
    elif not report.handovers:
        st.caption("None open.")
    else:
        st.dataframe(
            handover_frame(report.handovers, datetime.now(UTC)), hide_index=True, key="svc_handovers"
        )
