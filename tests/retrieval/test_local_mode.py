"""Qdrant local mode on a path: one owner process, a clear error for the second."""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from retrieval import StoreLocked, open_qdrant


# qdrant-client leaves the lock file of a failed open for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_second_owner_of_a_local_store_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "store"
    owner = QdrantClient(path=str(path))  # stands in for another process holding the lock
    try:
        with pytest.raises(StoreLocked, match="only one process may own a path"):
            open_qdrant(path)
    finally:
        owner.close()


def test_one_process_shares_one_client_per_path(tmp_path: Path) -> None:
    assert open_qdrant(tmp_path / "s") is open_qdrant(tmp_path / "s")
