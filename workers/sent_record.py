"""Record that the provider accepted a row, riding out a database blip.

Once ChatFlow or Telegram has the message, failing to write ``sent`` is the one failure that sends it
twice: the row stays ``sending``, the sweeper releases it and the next attempt delivers a second
copy. So a *database unavailable* error here is retried (with a short backoff, for up to
:data:`MARK_SENT_PATIENCE_SECONDS`) instead of being raised at once; and if the sweeper released
the row meanwhile (it looked orphaned: ``sending`` for longer than ``stuck_sending_seconds``), the
row is claimed back (``pending -> sending``) and then recorded, so its queued re-send finds it sent.
The PostgreSQL restart drill (``tests/drills/test_server_restarts.py``) found both: replies in
flight during the restart arrived twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from storage import IllegalTransition, OutboxStatus, StorageUnavailable

__all__ = ["MARK_SENT_PATIENCE_SECONDS", "record_sent"]

log = logging.getLogger("truffles.send")

MARK_SENT_PATIENCE_SECONDS = 120.0
"""How long a worker keeps trying to record a delivered row before giving up (and risking a resend)."""
FIRST_DELAY_SECONDS = 0.1
MAX_DELAY_SECONDS = 1.0
T = TypeVar("T")


def record_sent(
    outbox_id: uuid.UUID,
    write: Callable[[], T],
    *,
    reclaim: Callable[[], bool] | None = None,
    patience: float = MARK_SENT_PATIENCE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``write()`` (the ``mark_sent`` of row ``outbox_id``), retried while the database is unavailable.

    ``reclaim()`` claims the row back after the sweeper released it (True when it got it). Any other
    error, or still no database after ``patience`` seconds, is raised as it is.
    """
    deadline = clock() + patience
    delay = FIRST_DELAY_SECONDS
    while True:
        try:
            return write()
        except StorageUnavailable as exc:
            if clock() + delay > deadline:
                raise
            log.warning("outbox=%s delivered, not yet recorded (%s); retry in %.1fs", outbox_id, exc, delay)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY_SECONDS)
        except IllegalTransition as exc:
            if exc.from_status != OutboxStatus.PENDING.value or reclaim is None or not reclaim():
                raise
            log.warning("outbox=%s was released by the sweeper while being recorded; claimed back", outbox_id)
