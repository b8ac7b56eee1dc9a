from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import cli.pack_commands
from cli.main import main
from tests.config.packs import BROKEN, MINIMAL

# Every mistake planted in fixtures/broken_pack: (file:line:col, code, a word of the message).
PLANTED = [
    ("intents.yaml:10:13", "placeholder", "business.adress"),
    ("intents.yaml:14:9", "duplicate-example", "какой у вас адрес"),
    ("intents.yaml:19:9", "duplicate-id", "duplicate intent id `hours`"),
    ("intents.yaml:21:7", "few-examples", "has 2 example(s)"),
    ("intents.yaml:32:5", "schema", "did you mean `threshold`?"),
    ("law.yaml:6:15", "regex-backtracking", "backtrack catastrophically"),
    ("services.yaml:16:16", "schema", "'дорого'"),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_reports_every_planted_mistake_with_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    pack = BROKEN.relative_to(Path.cwd()).as_posix() if BROKEN.is_relative_to(Path.cwd()) else str(BROKEN)
    code, out, err = run(capsys, "pack", "check", pack)
    assert code == 1
    assert "Traceback" not in out + err
    for where, kind, words in PLANTED:
        lines = [line for line in out.splitlines() if line.startswith(f"{pack}/{where}: error[{kind}]")]
        assert lines and words in lines[0], f"{where} {kind} not reported:\n{out}"
    assert f"{pack}: FAILED: {len(PLANTED)} error(s)" in out


def test_check_json_lists_each_problem(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "check", "--format", "json", str(BROKEN))
    assert code == 1
    report = json.loads(out)
    found = {(Path(p["file"]).name, p["line"], p["column"], p["code"]) for p in report}
    for where, kind, _ in PLANTED:
        name, line, column = where.split(":")
        assert (name, int(line), int(column), kind) in found
    assert all(p["pack"] == str(BROKEN) and p["severity"] == "error" for p in report)


def test_a_clean_pack_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "check", str(MINIMAL))
    assert code == 0 and "ok: 0 error(s), 0 warning(s), version" in out


def test_warnings_pass_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(MINIMAL, pack)
    shutil.rmtree(pack / "batteries")  # uncovered LAW topic and gate: warnings
    code, out, _ = run(capsys, "pack", "check", str(pack))
    assert code == 0 and "warning[coverage]" in out
    code, out, _ = run(capsys, "pack", "check", "--strict", str(pack))
    assert code == 1 and "FAILED: 0 error(s), 2 warning(s)" in out


def test_several_packs_are_checked_and_any_failure_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "check", str(MINIMAL), str(BROKEN))
    assert code == 1 and f"{MINIMAL}: ok" in out and f"{BROKEN}: FAILED" in out


def test_a_missing_folder_is_a_problem_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "pack", "check", str(tmp_path / "nope"))
    assert code == 1 and "is not a pack folder" in out and "Traceback" not in out + err


def test_show_summarises_the_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "show", str(MINIMAL))
    assert code == 0
    assert "tenant   minimal_pack" in out and "version  " in out and " ms" in out
    assert "3 intents, 9 examples" in out and "1 services, 1 price items" in out
    assert "batteries/smoke.yaml" in out and "3 cases" in out


def test_show_refuses_a_broken_pack_listing_its_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "show", str(BROKEN))
    assert code == 1 and "error[duplicate-id]" in out and "fix them first" in out


def test_new_writes_a_skeleton_that_passes_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pack", "new", "flower_shop", "--dir", str(tmp_path))
    assert code == 0 and (tmp_path / "flower_shop" / "intents.yaml").is_file()
    assert "id: flower_shop" in (tmp_path / "flower_shop" / "tenant.yaml").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "pack", "check", str(tmp_path / "flower_shop"))
    assert code == 0, out


def test_new_refuses_to_overwrite_and_bad_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    code, _, err = run(capsys, "pack", "new", "taken", "--dir", str(tmp_path))
    assert code == 1 and "already exists" in err
    code, _, err = run(capsys, "pack", "new", "Bad-Name", "--dir", str(tmp_path))
    assert code == 1 and "snake_case" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_an_internal_error_is_one_line_asking_for_a_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(path: str) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli.pack_commands, "check_pack", boom)
    monkeypatch.delenv("TRUFFLES_DEBUG", raising=False)
    code, _, err = run(capsys, "pack", "check", str(MINIMAL))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        "truffles: internal error: RuntimeError: kaboom — please report this bug "
        "(set TRUFFLES_DEBUG=1 to see the traceback)"
    ]


@pytest.mark.parametrize("argv", [[], ["pack"], ["pack", "frobnicate"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and "usage:" in err
