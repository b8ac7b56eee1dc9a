"""Calibration: one scoring pass, the threshold that minimises the 5:1 cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from retrieval import PackRetriever, calibrate_threshold
from retrieval.calibrate import sweep
from tests.retrieval.conftest import compiled


def test_sweep_weighs_a_false_answer_five_times_a_clarify() -> None:
    scored = [("a", True, 0.9), ("b", True, 0.5), ("c", False, 0.45), ("d", True, 0.3)]
    cal = sweep(scored)
    assert 0.45 < cal.threshold <= 0.5 and cal.false_answers == 0 and cal.missed == 1
    with pytest.raises(ValueError, match="at least one"):
        sweep([])


def test_calibration_from_the_longtail_battery_separates_it(salon_retriever: PackRetriever) -> None:
    cases = compiled("demo_salon").source.batteries["batteries/longtail.yaml"]
    pairs = [(c.user or "", (c.expected.action if c.expected else "") == "reply") for c in cases]
    cal = calibrate_threshold(salon_retriever, pairs)
    assert cal.cost == 0 and 0.4 < cal.threshold < 0.6
    assert len(cal.scored) == len(pairs)


def test_cli_sync_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from retrieval import close_all

    store = str(tmp_path / "q")
    assert main(["knowledge", "sync", "packs/demo_salon", "--store", store]) == 0
    assert main(["knowledge", "sync", "packs/demo_salon", "--store", store]) == 0
    assert (
        main(["knowledge", "ask", "packs/demo_salon", "Вы заводите карточку клиента?", "--store", store]) == 0
    )
    out = capsys.readouterr().out
    assert "+0 new, -0 deleted" in out and "would reply" in out
    close_all()
