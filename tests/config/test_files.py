from __future__ import annotations

from pathlib import Path

import pytest

from config.files import read_pack_dir


def test_reads_nested_files_as_relative_posix_paths_skipping_hidden(tmp_path: Path) -> None:
    (tmp_path / "batteries").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "tenant.yaml").write_bytes(b"id: x\n")
    (tmp_path / "batteries" / "smoke.yaml").write_bytes(b"[]\n")
    (tmp_path / ".hidden.yaml").write_bytes(b"secret")
    (tmp_path / ".git" / "config").write_bytes(b"secret")
    assert read_pack_dir(tmp_path) == {"batteries/smoke.yaml": b"[]\n", "tenant.yaml": b"id: x\n"}


def test_a_missing_folder_is_not_a_directory_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="not a pack folder"):
        read_pack_dir(tmp_path / "nope")
