from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from config.loader import load_battery
from evals.metrics import GateError, Scores, check_gate

ROOT = Path(__file__).resolve().parents[2]


def test_battery_unknown_field_is_an_error_with_file_and_line() -> None:
    data = b"- id: a\n  user: hi\n  expected:\n    action: reply\n    must_includ: [x]\n- id: b\n  turns: 3\n"
    _, problems = load_battery(data, "b.yaml")
    rendered = [p.render() for p in problems]
    assert any("b.yaml:5" in r and "must_includ" in r and "must_include" in r for r in rendered)
    assert any("b.yaml:7" in r for r in rendered)


def test_case_needs_exactly_one_of_user_turns_messages() -> None:
    _, problems = load_battery(b"- id: a\n  user: x\n  messages: [y]\n", "c.yaml")
    assert problems and "exactly one" in problems[0].message


def test_gate_spec_parsing_and_lower_is_better_rates() -> None:
    scores = Scores(
        cases=10,
        passed=9,
        metrics={"all": 0.9, "ood_false_answer_rate": 0.1},
        counts={"all": 10, "ood_false_answer_rate": 10},
    )
    assert check_gate("all>=0.9", scores) == []
    assert check_gate("all=1.0", scores) != []
    assert check_gate("ood_false_answer_rate=0", scores) != []
    with pytest.raises(GateError, match="unknown metric"):
        check_gate("nope>=1", scores)
    with pytest.raises(GateError, match="metric>=number"):
        check_gate("all>>1", scores)


def test_eval_cli_fails_a_case_and_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    battery = tmp_path / "b.yaml"
    battery.write_text(
        "- id: ok\n  user: Где вы находитесь?\n  expected: {action: reply, must_include: [Абая 150]}\n"
        "- id: wrong\n  user: Где вы находитесь?\n  expected: {action: escalate}\n",
        encoding="utf-8",
    )
    code = main(["eval", str(ROOT / "packs/demo_salon"), "--battery", str(battery), "--gate", "all=1.0"])
    out = capsys.readouterr()
    assert code == 1
    assert "FAIL wrong" in out.out and "1/2 cases passed" in out.out
    assert "gate: all" in out.err


def test_eval_json_holds_turns_for_external_scorers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    battery = tmp_path / "b.yaml"
    battery.write_text(
        "- id: book\n  user: Запишите на маникюр завтра в 18:00\n"
        "  expected: {action: booking_flow, booking_slots: [service, datetime]}\n",
        encoding="utf-8",
    )
    assert main(["eval", str(ROOT / "packs/demo_salon"), "--battery", str(battery), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    turn = data["cases"][0]["turns"][0]
    assert data["cases"][0]["passed"] is True
    assert turn["booking_slots"]["service"] == "маникюр" and turn["trace"]
