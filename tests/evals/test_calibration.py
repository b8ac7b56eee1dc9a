from __future__ import annotations

import time
from datetime import UTC, datetime

import msgspec
from ruamel.yaml import YAML

from config.schema.battery import Case, Expected
from evals.calibration import CalibrationSet, Setting, collect, evaluate, propose
from evals.threshold_file import rewrite_thresholds
from tests.engine.conftest import compiled


def _cases() -> list[tuple[str, Case]]:
    pack = compiled("demo_salon")
    return [(n, c) for n, cs in sorted(pack.source.batteries.items()) for c in cs]


def _cset() -> CalibrationSet:
    return collect(compiled("demo_salon"), _cases())


def test_replaying_the_current_thresholds_predicts_the_real_run() -> None:
    cset = _cset()
    point = evaluate(cset, cset.current)
    assert point.changed == 0  # the replay of the current thresholds is exactly the real run
    real = sum(all(flags) for flags in cset.case_turns.values()) / len(cset.case_turns)
    assert abs(point.pass_rate - real) < 0.01


def test_absurd_thresholds_are_scored_as_worse() -> None:
    cset = _cset()
    current = evaluate(cset, cset.current)
    everything = evaluate(cset, Setting(intent=0.05, ood=0.05, ambiguity_margin=0.0))
    nothing = evaluate(cset, Setting(intent=0.99, ood=0.99, ambiguity_margin=0.0))
    assert everything.wrong_answer_rate > current.wrong_answer_rate
    assert nothing.needless_clarify_rate > current.needless_clarify_rate
    assert nothing.clarify_rate > 0.5
    assert min(everything.cost, nothing.cost) > current.cost


def test_a_sweep_of_hundreds_of_settings_is_fast_and_proposes_no_worse() -> None:
    cset = _cset()
    started = time.perf_counter()
    best, points = propose(cset)
    assert len(points) >= 100
    assert time.perf_counter() - started < 10  # a generous bound; the benchmark measures the real figure
    assert best.cost <= evaluate(cset, cset.current).cost


def test_writing_thresholds_keeps_comments_and_order_and_records_who() -> None:
    before = (
        "# header comment\nintent: 0.42  # the global bar\nood: 0.5\nambiguity_margin: 0.03\n"
        "retrieval: 0.55\nper_intent: {}\n"
    )
    setting = Setting(intent=0.4, ood=0.45, ambiguity_margin=0.02, per_intent={"directions": 0.5})
    after = rewrite_thresholds(
        before, setting, who="analyst", when=datetime(2026, 3, 4, 12, 0, tzinfo=UTC), pack_version="abc"
    )
    assert after.startswith("# header comment\nintent: 0.4")
    assert "# the global bar" in after.splitlines()[1]
    data = YAML(typ="safe").load(after)
    assert list(data) == ["intent", "ood", "ambiguity_margin", "retrieval", "per_intent"]
    assert data["per_intent"] == {"directions": 0.5} and data["retrieval"] == 0.55
    assert "by analyst" in after and "pack version abc" in after
    again = rewrite_thresholds(
        after, setting, who="analyst", when=datetime(2026, 3, 5, tzinfo=UTC), pack_version="abc"
    )
    assert again.count("last calibration") == 1


def test_a_case_the_thresholds_cannot_change_keeps_its_result() -> None:
    pack = compiled("demo_salon")
    law = Case(id="law", user="Нужна предоплата?", expected=Expected(action="escalate"))
    cset = collect(pack, [("x", law)])
    assert cset.turns == []  # decided by the LAW stage, never by thresholds
    assert evaluate(cset, Setting(intent=0.99, ood=0.99, ambiguity_margin=0.0)).pass_rate == 1.0
    assert msgspec.json.decode(msgspec.json.encode(cset), type=CalibrationSet) == cset


def test_the_fast_replay_agrees_with_the_engines_acceptance_rule() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from evals.calibration import Candidate, Outcome, TurnScores, _fast_replay, _replay

    names = st.sampled_from(["price", "hours", "off_topic", "booking"])
    scores = st.floats(min_value=0, max_value=1, allow_nan=False)

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.tuples(names, scores), min_size=1, max_size=5),
        scores,
        scores,
        st.floats(min_value=0, max_value=0.2),
    )
    def check(pairs: list[tuple[str, float]], intent: float, ood: float, margin: float) -> None:
        ranked = sorted((Candidate(n, s) for n, s in pairs), key=lambda c: -c.score)
        turn = TurnScores(
            case_id="c",
            turn=0,
            ranked=ranked,
            original=Outcome("clarify", "clarify"),
            original_passed=True,
            expected_action=None,
            expected_labels=[],
            safety=False,
        )
        rival = next((r.score for r in ranked[1:] if r.intent != ranked[0].intent), -1.0)
        setting = Setting(intent=intent, ood=ood, ambiguity_margin=margin)
        assert _fast_replay((ranked[0].intent, ranked[0].score, rival), setting) == _replay(turn, setting)

    check()
