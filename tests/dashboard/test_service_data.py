"""Service-health numbers from raw rows (pure) and from a read-only SQLite database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.service_data import (
    HandoverRow,
    InboundRow,
    OutboxRow,
    handover_frame,
    outbox_frame,
    percentile,
    rates_frame,
    sla_frame,
    summarise_day,
)
from dashboard.service_source import DatabaseSource, NoServiceData, readonly_engine
from tests.dashboard.conftest import seed_service_db

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 90) == 9.0


def test_summarise_day_sla_rates_and_outbox():
    inbound = [
        InboundRow(
            id="m1", received_at=T0, decided_at=T0 + timedelta(seconds=2), action="reply", intent="price"
        ),
        InboundRow(
            id="m2", received_at=T0, decided_at=T0 + timedelta(seconds=4), action="clarify", intent=""
        ),
        InboundRow(id="m3", received_at=T0, decided_at=None, action=None, intent=None),
        InboundRow(
            id="m4", received_at=T0, decided_at=T0 + timedelta(seconds=1), action="reply", intent="off_topic"
        ),
    ]
    outbox = [
        OutboxRow(
            status="sent",
            attempts=1,
            created_at=T0 + timedelta(seconds=2),
            sent_at=T0 + timedelta(seconds=3),
            reply_to="m1",
        ),
        OutboxRow(status="pending", attempts=3, created_at=T0, sent_at=None, reply_to="m2"),
        OutboxRow(status="failed", attempts=5, created_at=T0, sent_at=None, reply_to=None),
    ]
    day = summarise_day(date(2026, 3, 4), inbound, outbox)
    assert day["turns"] == 3 and day["inbound_messages"] == 4
    assert day["rates"] == {
        "escalation": 0.0,
        "clarify": pytest.approx(1 / 3, abs=1e-4),
        "ood": pytest.approx(1 / 3, abs=1e-4),
    }
    assert day["sla_seconds"]["received_to_decided"] == {"count": 3, "p50": 2.0, "p90": 4.0}
    assert day["sla_seconds"]["received_to_sent"]["p50"] == 3.0
    assert day["outbox"] == {
        "rows": 3,
        "by_status": {"sent": 1, "pending": 1, "failed": 1},
        "retries": 6,
        "failed": 1,
    }
    sla = sla_frame([day])
    assert set(sla["stage"]) == {"received → decided", "decided → sent", "received → sent"}
    assert set(rates_frame([day])["rate"]) == {"escalation", "clarify", "ood"}
    assert outbox_frame([day]).iloc[0]["retries"] == 6


def test_empty_day_makes_empty_frames():
    day = summarise_day(date(2026, 3, 4), [], [])
    assert sla_frame([day]).empty and rates_frame([day]).empty
    assert day["rates"]["escalation"] is None


def test_handover_frame_oldest_first_with_age():
    rows = [
        HandoverRow(
            status="active", reason="b", created_at=T0 - timedelta(minutes=5), taken_at=None, taken_by="ann"
        ),
        HandoverRow(
            status="pending", reason="a", created_at=T0 - timedelta(minutes=30), taken_at=None, taken_by=None
        ),
    ]
    frame = handover_frame(rows, T0)
    assert list(frame["reason"]) == ["a", "b"] and list(frame["age (min)"]) == [30.0, 5.0]


def test_readonly_engine_refuses_a_missing_file(tmp_path: Path):
    with pytest.raises(NoServiceData, match="no database file"):
        readonly_engine(f"sqlite:///{tmp_path / 'absent.db'}")


def test_database_source_reads_a_seeded_database_read_only(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    seed_service_db(url)
    source = DatabaseSource(readonly_engine(url), "test")
    assert source.tenants() == ["demo_salon"]
    today = datetime.now(UTC).date()
    report = source.report("demo_salon", today - timedelta(days=1), today, datetime.now(UTC))
    assert not report.empty
    assert report.days[-1]["turns"] == 3
    assert report.days[-1]["rates"]["escalation"] == pytest.approx(1 / 3, abs=1e-4)
    assert report.backlog["outbox_backlog"] == 1
    assert report.handovers is not None and [h.reason for h in report.handovers] == ["payment"]
    with pytest.raises(Exception, match=r"readonly"), readonly_engine(url).begin() as conn:
        conn.exec_driver_sql("DELETE FROM messages")


def test_database_without_tables_is_no_data(tmp_path: Path):
    path = tmp_path / "empty.db"
    import sqlite3

    sqlite3.connect(path).close()
    with pytest.raises(NoServiceData, match="no service tables"):
        DatabaseSource(readonly_engine(f"sqlite:///{path}"), "test").tenants()
