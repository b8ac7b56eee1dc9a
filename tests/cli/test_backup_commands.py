"""``truffles backup`` / ``truffles restore`` as an operator runs them (SQLite; the PostgreSQL path is
the same code, drilled in tests/storage/test_backup.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from storage import open_database, upgrade_to_head
from tests.storage.backup_seed import seed

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("cli-backup")
    url = f"sqlite:///{root / 'live.db'}"
    db = open_database(url)
    upgrade_to_head(db.engine)
    seed(db, customers_per_tenant=4)
    db.dispose()
    folder = root / "backup"
    assert main(["backup", "--database-url", url, "--out", str(folder), "--packs", str(REPO / "packs")]) == 0
    return url, folder


def test_backup_writes_a_manifest_with_commit_revision_tables_and_packs(
    backup: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _url, folder = backup
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["backend"] == "sqlite" and manifest["alembic_revision"]
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40
    assert set(manifest["pack_versions"]) == {"demo_salon", "auto_service"}
    assert manifest["tables"]["tenants"]["rows"] == 2 and manifest["qdrant"]["mode"] == "local"
    assert main(["backup", "--database-url", _url, "--out", str(folder)]) == 1
    assert "already exists and is not empty" in capsys.readouterr().err


def test_restore_refuses_a_non_empty_target_then_restores_with_force(
    backup: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _url, folder = backup
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    assert main(["restore", str(folder), "--database-url", target]) == 0
    out = capsys.readouterr().out
    assert "counts and checksums match the manifest" in out
    assert "truffles knowledge sync packs/demo_salon" in out
    assert main(["restore", str(folder), "--database-url", target]) == 1
    err = capsys.readouterr().err
    assert "restore refused" in err and "not empty" in err and "--force" in err
    assert main(["restore", str(folder), "--database-url", target, "--force"]) == 0


def test_restore_exits_non_zero_when_verification_finds_a_mismatch(
    backup: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _url, golden = backup
    folder = tmp_path / "edited"
    folder.mkdir()
    for item in golden.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["customers"]["sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["restore", str(folder), "--database-url", f"sqlite:///{tmp_path / 'r.db'}"]) == 1
    err = capsys.readouterr().err
    assert "verification FAILED (1 problems)" in err and "table customers: content checksum differs" in err
