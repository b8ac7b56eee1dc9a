"""Every page through Streamlit's AppTest, signed in with the password from the environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cli.packs import load_compiled
from evals.calibration import Setting, collect, evaluate
from tests.dashboard.conftest import APP, TIMEOUT_S, seed_service_db, sign_in

REPO = Path(__file__).resolve().parents[2]
OpenPage = Callable[[str], AppTest]


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.error, *at.success, *at.warning)]
    return "\n".join(str(p) for p in parts)


def _frames(at: AppTest, column: str) -> list[pd.DataFrame]:
    """The dataframes shown that have ``column`` (plain dataframes have no key in AppTest)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_nothing_is_shown_without_a_configured_password(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TRUFFLES_DASHBOARD_PASSWORD", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    assert "TRUFFLES_DASHBOARD_PASSWORD" in at.error[0].value
    assert not at.text_input and not at.title


def test_a_wrong_password_shows_nothing(dashboard_env: Path):
    at = sign_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT_S), "wrong")
    assert [e.value for e in at.error] == ["Wrong password."]
    assert [t.value for t in at.title] == ["Truffles — analysts' dashboard"]
    assert not at.metric


def test_batteries_run_shows_rates_failures_and_trend(app: OpenPage, dashboard_env: Path):
    at = app("batteries")
    at.selectbox(key="batteries_tenant").select("demo_salon").run()
    at.multiselect(key="batteries_pick").select("batteries/core.yaml").run()
    at.button(key="batteries_run").click().run()
    assert not at.exception
    assert _metrics(at)["all"] == "100.0%"
    tiers = at.dataframe[0].value
    assert list(tiers["tier"]) == ["all", "core"]
    assert "Every selected case passes." in _texts(at)
    runs = list((dashboard_env / "eval-runs" / "demo_salon").glob("*.json"))
    assert len(runs) == 1
    at.button(key="batteries_run").click().run()
    assert "Trend against previous runs" in [s.value for s in at.subheader]


def test_batteries_failure_shows_conversation_expected_and_trace(app: OpenPage, packs_copy: Path):
    battery = packs_copy / "demo_salon" / "batteries" / "core.yaml"
    battery.write_text(
        battery.read_text(encoding="utf-8")
        + "\n- id: planted-failure\n  tier: core\n  user: Сколько стоит маникюр?\n"
        "  expected:\n    action: reply\n    must_include: [бесплатно]\n",
        encoding="utf-8",
    )
    at = app("batteries")
    at.selectbox(key="batteries_tenant").select("demo_salon").run()
    at.multiselect(key="batteries_pick").select("batteries/core.yaml").run()
    at.button(key="batteries_run").click().run()
    assert not at.exception
    assert at.selectbox(key="batteries_inspect").value == "planted-failure"
    text = _texts(at)
    assert "Сколько стоит маникюр?" in text and "бесплатно" in text
    assert any("бесплатно" in json.loads(j.value).get("must_include", []) for j in at.json)
    trace = _frames(at, "stage")[0]
    assert {"normalise", "intent"} <= set(trace["stage"]) and trace["scores"].str.len().max() > 0


def test_calibration_slider_rescores_live(app: OpenPage):
    at = app("calibration")
    at.selectbox(key="cal_tenant").select("demo_salon").run()
    before = _metrics(at)
    assert before["Turns changed"] == "0"
    at.slider(key="cal_intent").set_value(0.7).run()
    after = _metrics(at)
    assert after != before and after["Turns changed"] != "0"
    assert any("Re-scored" in c.value for c in at.caption)


def test_calibration_propose_moves_the_sliders(app: OpenPage):
    at = app("calibration")
    at.selectbox(key="cal_tenant").select("auto_service").run()
    at.button(key="cal_propose").click().run()
    assert not at.exception
    assert "Proposal (applied to the sliders)" in [s.value for s in at.subheader]
    assert at.slider(key="cal_intent").value != 0.42 or at.slider(key="cal_margin").value != 0.03


def test_calibration_save_writes_thresholds_into_the_copy(app: OpenPage, packs_copy: Path):
    original = (REPO / "packs" / "demo_salon" / "thresholds.yaml").read_text(encoding="utf-8")
    at = app("calibration")
    at.selectbox(key="cal_tenant").select("demo_salon").run()
    at.slider(key="cal_intent").set_value(0.55).run()
    diff = at.code[0].value
    assert "-intent: 0.42" in diff and "+intent: 0.55" in diff
    at.button(key="cal_save").click().run()
    assert not at.exception
    written = (packs_copy / "demo_salon" / "thresholds.yaml").read_text(encoding="utf-8")
    assert "intent: 0.55" in written and "by test-analyst" in written
    assert written.startswith("# Matcher thresholds")  # the comment is kept
    assert (REPO / "packs" / "demo_salon" / "thresholds.yaml").read_text(encoding="utf-8") == original
    assert any("Wrote" in s.value for s in at.success)
    assert at.slider(key="cal_intent").value == pytest.approx(0.55)  # the recompiled pack's value


def test_slider_moves_rescore_the_cached_pass_without_changing_it():
    """Each move re-scores the one cached pass (its speed is in bench/bench_slider.py).

    A move must not leave anything behind: going back to a setting gives the same point again, and a
    stricter intent threshold never answers more turns than a looser one.
    """
    pack = load_compiled(str(REPO / "packs" / "demo_salon"))
    cases = [(name, c) for name, battery in pack.source.batteries.items() for c in battery]
    cset = collect(pack, cases)
    loose = Setting(intent=0.30, ood=0.5, ambiguity_margin=0.03)
    strict = Setting(intent=0.90, ood=0.5, ambiguity_margin=0.03)
    first = evaluate(cset, loose)
    evaluate(cset, strict)
    assert evaluate(cset, loose) == first
    assert evaluate(cset, strict).clarify_rate > first.clarify_rate
    assert evaluate(cset, strict).changed > 0


def test_try_it_chats_with_trace_and_saves_a_case(app: OpenPage, packs_copy: Path):
    at = app("try_it")
    at.selectbox(key="try_tenant").select("demo_salon").run()
    at.chat_input(key="try_input").set_value("Сколько стоит маникюр?").run()
    at.chat_input(key="try_input").set_value("А где вы находитесь?").run()
    assert not at.exception
    assert len(at.chat_message) == 4
    assert len(_frames(at, "stage")) == 2  # a trace beside each reply
    at.text_input(key="try_id").input("dash-manicure")
    at.text_input(key="try_must_0").input("маникюр")
    submit = next(b for b in at.button if b.label == "Add to the battery")
    submit.click().run()
    assert not at.exception, at.exception
    file = packs_copy / "demo_salon" / "batteries" / "dashboard.yaml"
    text = file.read_text(encoding="utf-8")
    assert "- маникюр" in text  # the analyst's must_include of turn 1
    assert "id: dash-manicure" in text and "tier: full" in text and "Сколько стоит маникюр?" in text
    assert not (REPO / "packs" / "demo_salon" / "batteries" / "dashboard.yaml").exists()


def test_try_it_refuses_an_invalid_case(app: OpenPage, packs_copy: Path):
    at = app("try_it")
    at.selectbox(key="try_tenant").select("demo_salon").run()
    at.chat_input(key="try_input").set_value("Привет").run()
    at.text_input(key="try_id").input("dash-bad")
    at.text_input(key="try_intent_0").input("no_such_intent")
    next(b for b in at.button if b.label == "Add to the battery").click().run()
    assert "Not written" in " ".join(e.value for e in at.error)
    assert "no_such_intent" in at.code[-1].value
    assert not (packs_copy / "demo_salon" / "batteries" / "dashboard.yaml").exists()


def test_isolation_shows_the_pair_matrix(app: OpenPage):
    at = app("isolation")
    at.button(key="iso_run").click().run()
    assert not at.exception
    matrix = _frames(at, "demo_salon")[0]
    assert matrix.loc["demo_salon", "auto_service"] == "ok"
    assert matrix.loc["auto_service", "demo_salon"] == "ok"
    assert "0 leak(s)" in at.success[0].value


def test_service_health_empty_state_without_a_database(app: OpenPage):
    at = app("service_health")
    assert "No service data yet" in at.info[0].value


def test_service_health_reads_a_seeded_database(
    app: OpenPage, dashboard_env: Path, monkeypatch: pytest.MonkeyPatch
):
    url = f"sqlite:///{dashboard_env / 'service.db'}"
    seed_service_db(url)
    monkeypatch.setenv("TRUFFLES_DATABASE_URL", url)
    at = app("service_health")
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Outbox backlog"] == "1" and metrics["Open hand-overs"] == "1"
    assert "received → decided" in set(_frames(at, "p90")[0]["stage"])
    assert list(_frames(at, "age (min)")[0]["reason"]) == ["payment"]


def test_password_is_not_kept_in_session_state(app: OpenPage):
    at = app("batteries")
    assert "login_password" not in at.session_state
    assert at.session_state["auth_ok"] is True
