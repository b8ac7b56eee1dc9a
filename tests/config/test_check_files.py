"""``check_files`` lints what it can of a pack with schema errors, and never raises on bad input."""

from __future__ import annotations

import pytest

from config.lint import check_files
from tests.config.packs import MINIMAL, minimal_files

GARBAGE = [
    b"",
    b"null\n",
    b"- 1\n- 2\n",
    b"x: [\n",
    b"\xff\xfe",
    b"intents: 5\n",
    b"topics: [{id: 1}]\n",
    b"7\n",
]
NAMES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_in_any_file_gives_problems_not_exceptions(name: str, data: bytes) -> None:
    files = minimal_files()
    files[name] = data
    source, problems = check_files(files)
    if name.startswith("knowledge/") or (
        name in ("lexicon.yaml", "thresholds.yaml") and data in (b"", b"null\n")
    ):
        return
    assert problems or source is not None
    assert all(p.file and p.message for p in problems)


def test_lint_problems_are_reported_beside_schema_errors() -> None:
    intents = (MINIMAL / "intents.yaml").read_text(encoding="utf-8")
    intents = intents.replace("{business.address}", "{nope}").replace(
        "kind: price", "kind: price\n    colour: red"
    )
    source, problems = check_files(minimal_files(intents_yaml=intents))
    assert source is None
    assert {p.code for p in problems} == {"schema", "placeholder"}


def test_checks_needing_a_broken_file_whole_are_skipped() -> None:
    # tenant.yaml is broken, so alias and coverage checks (which need it) stay silent
    tenant = (MINIMAL / "tenant.yaml").read_text(encoding="utf-8").replace("trade:", "trad:")
    source, problems = check_files(minimal_files(tenant_yaml=tenant, batteries__smoke_yaml="[]\n"))
    assert source is None
    assert {p.code for p in problems} == {"schema"}
