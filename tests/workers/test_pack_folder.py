"""A pack folder as the hot reload sees it: fingerprint, files, declared tenant id."""

from __future__ import annotations

from pathlib import Path

from workers.pack_folder import declared_id, folder_signature, read_folder, walk


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "salon"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text("id: 'salon_one'  # the slug\nname: x\n", encoding="utf-8")
    (folder / "knowledge" / "faq.md").write_text("hello", encoding="utf-8")
    (folder / ".hidden").write_text("ignored", encoding="utf-8")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"ignored")
    return folder


def test_walk_skips_hidden_files_and_caches_in_a_stable_order(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert [p.relative_to(folder).as_posix() for p in walk(folder)] == ["tenant.yaml", "knowledge/faq.md"]


def test_the_fingerprint_follows_the_bytes_and_the_signature_the_stat(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    files, fingerprint = read_folder(folder)
    signature, newest = folder_signature(folder)
    assert set(files) == {"tenant.yaml", "knowledge/faq.md"} and newest > 0
    assert read_folder(folder)[1] == fingerprint
    (folder / "knowledge" / "faq.md").write_text("hellO", encoding="utf-8")  # same size
    assert read_folder(folder)[1] != fingerprint
    assert [row[0] for row in folder_signature(folder)[0]] == [row[0] for row in signature]


def test_the_declared_id_is_read_without_parsing_yaml(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert declared_id(read_folder(folder)[0], folder) == "salon_one"
    assert declared_id({"tenant.yaml": b"id: [broken\n"}, folder) == "[broken"
    assert declared_id({}, folder) == "salon"  # no tenant.yaml: the folder's name
