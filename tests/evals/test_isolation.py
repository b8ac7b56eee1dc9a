from __future__ import annotations

import msgspec

from cli.main import main
from config.compile.compiler import compile_pack
from evals.isolation import check_pair, fingerprints, probes
from tests.engine.conftest import compiled


def test_demo_tenants_do_not_leak_into_each_other() -> None:
    salon, garage = compiled("demo_salon"), compiled("auto_service")
    for a, b in ((salon, garage), (garage, salon)):
        result = check_pair(a, b)
        assert result.leaks == [], result.leaks[:3]
        assert result.probes > 10 and result.cases > 50


def test_fingerprints_are_the_other_tenants_own_facts() -> None:
    salon, garage = compiled("demo_salon"), compiled("auto_service")
    marks = fingerprints(garage, salon)
    assert any("толе би" in m for m in marks)
    assert not any("абая 150" in m for m in marks)
    assert any("Сколько стоит" in p for p in probes(garage))


def test_a_planted_leak_is_found_with_its_evidence() -> None:
    salon, garage = compiled("demo_salon"), compiled("auto_service")
    address = next(v for k, v in garage.source.facts.items() if k.startswith("address"))
    leaky_templates = msgspec.structs.replace(salon.source.templates, clarify=f"Мы рядом: {address}")
    leaky = compile_pack(msgspec.structs.replace(salon.source, templates=leaky_templates))
    result = check_pair(leaky, garage, baseline=salon)
    assert result.leaks and any(address.lower() in leak.fingerprint for leak in result.leaks)


def test_isolation_cli_prints_the_matrix(capsys) -> None:
    assert main(["isolation", "packs/demo_salon", "packs/auto_service"]) == 0
    out = capsys.readouterr().out
    assert "A \\ B" in out and "0 leak(s)" in out
