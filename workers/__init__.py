"""Workers: the service runtime and the dramatiq actors behind the web edge.

- :mod:`workers.service` — ``build_runtime(settings)`` and ``WorkerPool`` (worker threads + sweeper).
- :mod:`workers.process` — ``process_conversation``: lock, coalescing window, engine, ONE transaction
  for decision + trace + state + outbox rows, then effects (:mod:`workers.effects`) and sends.
- :mod:`workers.send` — ``send_outbox``: claim, ChatFlow with the row's idempotency key, backoff
  with jitter honouring Retry-After, sent / failed (+ alert).
- :mod:`workers.sweeper` — re-enqueues unprocessed inbound messages and stuck or overdue outbox rows.
- :mod:`workers.queue` (broker and enqueueing), :mod:`workers.locks` (per-conversation locks),
  :mod:`workers.tenants` (packs and secrets), :mod:`workers.alerts`, :mod:`workers.telemetry`.
"""
