"""Keep the cyclic garbage collector off the long-lived start-up heap.

A serving process holds ~170 000 long-lived objects (compiled packs, lemmatizer tables, SQLAlchemy
metadata). Python's full (generation 2) collection walks all of them: 83 ms on this machine, and
it fires every few thousand requests — the largest source of webhook tail latency we measured.
:func:`freeze_startup_heap` collects once and moves every survivor into the permanent generation
(``gc.freeze``), so later collections only walk what requests allocate. After a pack hot reload,
:func:`refreeze_heap` lets the old pack's objects be collected and freezes the new ones.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

__all__ = ["freeze_startup_heap", "refreeze_heap"]

log = logging.getLogger("truffles.heap")

_lock = threading.Lock()
_frozen = False


def freeze_startup_heap() -> None:
    """Call once per serving process, after the runtime (packs, pools) is built."""
    global _frozen
    with _lock:
        started = time.perf_counter()
        gc.collect()
        gc.freeze()
        _frozen = True
    elapsed_ms = (time.perf_counter() - started) * 1e3
    log.debug("heap frozen: %d objects in %.0f ms", gc.get_freeze_count(), elapsed_ms)


def refreeze_heap() -> None:
    """After a pack swap: release the frozen heap (the old pack may be garbage now), collect, freeze.

    A no-op in processes that never froze (tests, tools), so their collector behaves as usual.
    """
    with _lock:
        if not _frozen:
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()
