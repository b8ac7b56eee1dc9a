"""``compile_pack_dir``: what the service runs at start; a broken pack is a located PackInvalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import PackInvalid
from tests.config.packs import minimal_files
from workers.tenants import compile_pack_dir


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_a_regex_that_does_not_compile_is_a_pack_error_with_file_and_line(tmp_path: Path) -> None:
    files = minimal_files()
    law = files["law.yaml"].decode()
    terms = '      terms: ["оплат*", "возврат*", "верните деньги"]'
    assert terms in law
    files["law.yaml"] = law.replace(terms, '      terms: ["оплат*"]\n      regex: ["([unclosed"]', 1).encode()
    with pytest.raises(PackInvalid) as caught:
        compile_pack_dir(_write(tmp_path, files))
    [problem] = caught.value.problems
    assert problem.file == "law.yaml" and problem.line == 8 and "does not compile" in problem.message
    assert "law.yaml:8:" in str(caught.value)


def test_a_valid_pack_folder_compiles(tmp_path: Path) -> None:
    assert compile_pack_dir(_write(tmp_path, minimal_files())).tenant_id


def test_a_template_naming_a_missing_fact_stops_the_start_with_file_and_line(tmp_path: Path) -> None:
    """It would compile, and a customer would read `{business.nowhere}`: the service refuses it."""
    files = minimal_files()
    templates = files["templates.yaml"].decode()
    assert "{business.name}" in templates
    files["templates.yaml"] = templates.replace("{business.name}", "{business.nowhere}", 1).encode()
    with pytest.raises(PackInvalid) as caught:
        compile_pack_dir(_write(tmp_path, files))
    [problem] = caught.value.problems
    assert problem.file == "templates.yaml" and problem.code == "placeholder"
    assert problem.line is not None and "business.nowhere" in problem.message
