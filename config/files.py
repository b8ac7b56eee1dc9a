"""Read a pack folder into the ``{relative posix path: bytes}`` mapping the loader takes.

This is the only place in ``config`` that touches the file system; the CLI and the service call it
and pass the bytes on to :func:`config.loader.read_pack`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["read_pack_dir"]


def read_pack_dir(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every non-hidden file under ``path`` (hidden folders skipped too), keyed by relative posix path.

    Raises:
        NotADirectoryError: ``path`` does not exist or is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{os.fspath(path)!r} is not a pack folder")
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = Path(folder) / name
            files[full.relative_to(root).as_posix()] = full.read_bytes()
    return files
