"""The pure table builders, without Streamlit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.packs import load_compiled
from config.files import read_pack_dir
from config.schema.battery import Case, Expected, Turn
from dashboard.battery_tables import category_table, expected_for_turn, failure_table, tier_table
from dashboard.calibration_tables import axis_values, curve_frame, point_table, setting_from, setting_rows
from dashboard.chat_case import ChatTurn, append_case, case_from_chat, validate_battery
from dashboard.isolation_tables import evidence, leak_table, pair_matrix
from dashboard.runs import load_runs, newly_failing, run_record, save_run, selection_key, trend_frame
from dashboard.traces import format_scores, trace_table
from evals.calibration import Setting, collect, evaluate
from evals.isolation import Leak, PairResult
from evals.metrics import score
from evals.runner import CaseResult, TurnResult, run_cases

REPO = Path(__file__).resolve().parents[2]


def _turn(failures: list[str] | None = None, user: str = "hi") -> TurnResult:
    return TurnResult(
        user=user,
        reply="hello",
        action="reply",
        intent="greeting",
        reason="",
        booking_slots={},
        facts_used=[],
        trace=[{"stage": "intent", "decision": "match", "scores": {"greeting": 0.9}}],
        failures=failures or [],
        optional_missed=[],
        intent_agrees=True,
        checked=True,
    )


def _result(case_id: str, tier: str, passed: bool) -> CaseResult:
    turns = [_turn(), _turn(None if passed else ["reply lacks 'x'"], user="second")]
    return CaseResult(
        id=case_id, battery="core", tier=tier, tags=[], passed=passed, expected_action="reply", turns=turns
    )


def test_tier_table_counts_all_and_each_tier():
    table = tier_table([_result("a", "core", True), _result("b", "core", False), _result("c", "full", True)])
    rows = {r["tier"]: r for r in table.to_dict("records")}
    assert rows["all"]["cases"] == 3 and rows["all"]["passed"] == 2
    assert rows["core"]["pass rate"] == pytest.approx(0.5)
    assert rows["full"]["pass rate"] == 1.0


def test_failure_table_names_the_first_failing_turn():
    table = failure_table([_result("a", "core", True), _result("b", "full", False)])
    assert list(table["case"]) == ["b"]
    row = table.iloc[0]
    assert row["turn"] == 2 and row["user"] == "second" and row["failure"] == "reply lacks 'x'"


def test_failure_table_of_all_passing_is_empty_with_columns():
    table = failure_table([_result("a", "core", True)])
    assert table.empty and "failure" in table.columns


def test_category_table_on_a_real_pack_counts_law_cases():
    pack = load_compiled(str(REPO / "packs" / "demo_salon"))
    cases = [("core", c) for c in pack.source.batteries["batteries/core.yaml"][:20]]
    results = run_cases(cases, pack, strict_intents=True)
    table = category_table(results, [c for _, c in cases], pack)
    assert "law" in set(table["category"])
    assert table["pass rate"].between(0, 1).all()


def test_expected_for_turn_applies_case_expected_to_the_last_turn():
    case = Case(
        id="x",
        turns=[Turn(user="a", expected=Expected(action="reply")), Turn(user="b")],
        expected=Expected(action="escalate", must_include=["админ"]),
    )
    assert expected_for_turn(case, 0) == {"action": "reply"}
    assert expected_for_turn(case, 1) == {"action": "escalate", "must_include": ["админ"]}


def test_trace_table_orders_scores_best_first():
    table = trace_table(
        [{"stage": "intent", "decision": "match", "scores": {"a": 0.2, "b": 0.9}, "data": {"k": 1}}]
    )
    assert table.iloc[0]["scores"] == "b 0.90 · a 0.20"
    assert table.iloc[0]["data"] == '{"k": 1}'
    assert format_scores({f"i{n}": n / 10 for n in range(9)}, top=2) == "i8 0.80 · i7 0.70"


def test_runs_round_trip_and_trend(tmp_path: Path):
    pack = load_compiled(str(REPO / "packs" / "demo_salon"))
    results = [_result("a", "core", True), _result("b", "core", True)]
    scores = score(results, [Case(id="a", user="x"), Case(id="b", user="y")], pack)
    key = selection_key(("core",), ())
    for minute in (1, 2):
        record = run_record(
            tenant="t",
            pack_version="v1",
            batteries=("core",),
            tiers=(),
            results=results,
            scores=scores,
            when=datetime(2026, 1, 1, 12, minute, tzinfo=UTC),
        )
        save_run(tmp_path, record)
    (tmp_path / "t" / "broken.json").write_text("{not json")
    runs = load_runs(tmp_path, "t", key)
    assert len(runs) == 2 and runs[0]["when"] < runs[1]["when"]
    assert load_runs(tmp_path, "t", selection_key((), ())) == []
    trend = trend_frame(runs, ("all",))
    assert list(trend["value"]) == [1.0, 1.0]
    assert newly_failing(runs[-1], [_result("a", "core", False), _result("b", "core", True)]) == ["a"]
    assert newly_failing(None, results) == []


def test_calibration_tables_on_a_cached_scoring_pass():
    pack = load_compiled(str(REPO / "packs" / "demo_salon"))
    cset = collect(pack, [("core", c) for c in pack.source.batteries["batteries/core.yaml"]])
    here = setting_from(0.42, 0.5, 0.03)
    table = point_table(evaluate(cset, setting_from(0.7, 0.5, 0.03)), evaluate(cset, here))
    assert list(table["metric"])[:2] == ["pass", "wrong answer"]
    curve = curve_frame(cset, here, "intent", axis_values("intent"))
    assert len(curve) == 4 * len(axis_values("intent"))
    assert curve["value"].between(0, 1).all()
    assert axis_values("ambiguity_margin")[:3] == [0.0, 0.005, 0.01]


def test_setting_from_rounds_and_setting_rows_lists_changes():
    s = setting_from(0.4200000001, 0.5, 0.03, {"price": 0.51})
    assert s == Setting(intent=0.42, ood=0.5, ambiguity_margin=0.03, per_intent={"price": 0.51})
    rows = setting_rows(Setting(intent=0.42, ood=0.5, ambiguity_margin=0.03), s)
    assert rows.to_dict("records") == [{"threshold": "per_intent.price", "current": None, "proposed": 0.51}]


def test_isolation_matrix_and_leaks():
    leak = Leak(tenant="a", other="b", case="probe", message="Это Б?", where="reply", fingerprint="бренд б")
    results = [
        PairResult(tenant="a", other="b", probes=3, cases=2, leaks=[leak]),
        PairResult(tenant="b", other="a", probes=3, cases=2, leaks=[]),
    ]
    matrix = pair_matrix(results, ["a", "b"])
    assert (
        matrix.loc["a", "b"] == "1 leak(s)" and matrix.loc["b", "a"] == "ok" and matrix.loc["a", "a"] == "—"
    )
    assert leak_table(results).iloc[0]["fingerprint"] == "бренд б"
    assert evidence("Мы — Бренд Б, рядом", "бренд б") == "Мы — **Бренд Б**, рядом"
    assert evidence("nothing", "бренд б") is None


def _chat(*turns: tuple[str, str, str]) -> list[ChatTurn]:
    return [
        ChatTurn(user=u, reply="r", action=a, intent=i, expected_action=a, expected_intent=i)
        for u, a, i in turns
    ]


def test_case_from_chat_single_and_multi_turn():
    one = case_from_chat(
        "c1", _chat(("Привет", "reply", "greeting")), local_date="2026-03-04", local_time="12:00"
    )
    assert one["user"] == "Привет" and one["expected"] == {"action": "reply", "intent": "greeting"}
    assert one["tier"] == "full"
    two = case_from_chat(
        "c2",
        _chat(("Привет", "reply", "greeting"), ("Цена?", "reply", "price")),
        local_date="2026-03-04",
        local_time="12:00",
    )
    assert two["turns"][0] == {"user": "Привет", "expected": {"action": "reply", "intent": "greeting"}}
    assert two["turns"][1] == {"user": "Цена?"} and two["expected"]["intent"] == "price"
    with pytest.raises(ValueError):
        case_from_chat("c3", [], local_date="2026-03-04", local_time="12:00")


def test_appended_case_is_validated_against_the_pack():
    files = read_pack_dir(REPO / "packs" / "demo_salon")
    case = case_from_chat(
        "c1", _chat(("Привет", "reply", "greeting")), local_date="2026-03-04", local_time="12:00"
    )
    text = append_case(None, case)
    assert text.startswith("# Cases written from the dashboard") and validate_battery(text, files) == []
    again = append_case(text, case)
    assert again.startswith(text)
    assert any("repeats" in e for e in validate_battery(again, files))
    bad = case_from_chat(
        "c2", _chat(("Привет", "reply", "no_such_intent")), local_date="2026-03-04", local_time="12:00"
    )
    assert any("no_such_intent" in e for e in validate_battery(append_case(None, bad), files))
