"""Fixtures for the dashboard tests: a COPY of the packs, a signed-in AppTest, a seeded service DB."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"
PASSWORD = "correct horse battery staple"
PACKS = ("demo_salon", "auto_service")
TIMEOUT_S = 120


@pytest.fixture
def packs_copy(tmp_path: Path) -> Path:
    """The demo packs copied into tmp_path: pages that write (save thresholds, add a case) write here."""
    root = tmp_path / "packs"
    for name in PACKS:
        shutil.copytree(REPO / "packs" / name, root / name)
    return root


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, packs_copy: Path) -> Path:
    monkeypatch.setenv("TRUFFLES_DASHBOARD_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRUFFLES_PACKS_DIR", str(packs_copy))
    monkeypatch.setenv("TRUFFLES_EVAL_RUNS_DIR", str(tmp_path / "eval-runs"))
    monkeypatch.setenv("TRUFFLES_DATABASE_URL", f"sqlite:///{tmp_path / 'no-service-yet.db'}")
    monkeypatch.setenv("TRUFFLES_DASHBOARD_USER", "test-analyst")
    monkeypatch.delenv("TRUFFLES_API_URL", raising=False)
    return tmp_path


def sign_in(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.run()
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


@pytest.fixture
def app(dashboard_env: Path) -> Callable[[str], AppTest]:
    """``app("calibration")``: a signed-in AppTest switched to that page."""

    def open_page(page: str) -> AppTest:
        at = sign_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S))
        assert not at.exception, at.exception
        if page != "batteries":
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return open_page


def seed_service_db(url: str, tenant: str = "demo_salon") -> None:
    """A migrated SQLite database with one day of traffic: turns, outbox rows, an open hand-over."""
    from storage import (
        Channel,
        InboundDraft,
        OutboxDraft,
        TenantStore,
        open_database,
        upgrade_to_head,
    )
    from storage.repos.tenants import TenantDirectory

    upgrade_to_head(url)
    db = open_database(url)
    TenantDirectory(db.session_factory).upsert(tenant, "Salon")
    start = datetime.now(UTC) - timedelta(days=2, minutes=5)
    plan = [("reply", "price"), ("clarify", ""), ("escalate", "payment"), ("reply", "off_topic")]
    for n in range(9):  # three days of traffic, latency growing a little each day
        action, intent = plan[n % len(plan)]
        at = start + timedelta(days=n // 3, seconds=n)
        store = TenantStore(
            db.session_factory, tenant, clock=lambda at=at, n=n: at + timedelta(seconds=1 + n % 4)
        )
        got = store.messages.record_inbound(
            InboundDraft(
                provider_message_id=f"p{n}", jid=f"7701000000{n}@s.whatsapp.net", text="hi", received_at=at
            )
        )
        assert got.conversation_id is not None and got.message_id is not None
        conv = store.conversations.get(got.conversation_id)
        outcome = store.turns.complete(
            got.conversation_id,
            [got.message_id],
            decision={"action": action, "intent": intent},
            trace=[],
            expected_state_version=conv.state_version,
            owner_version=conv.owner_version,
            outbox=[
                OutboxDraft(
                    idempotency_key=f"k{n}",
                    channel=Channel.CHATFLOW,
                    payload={"text": "ok", "reply_to": str(got.message_id)},
                )
            ],
        )
        if n != 8:  # the last reply stays in the outbox: a backlog of one
            claimed = store.outbox.claim(outcome.outbox_ids[0])
            assert claimed is not None
            store.outbox.mark_sent(claimed.id)
        if action == "escalate" and n > 5:
            store.handovers.open(got.conversation_id, "payment")
    db.dispose()
