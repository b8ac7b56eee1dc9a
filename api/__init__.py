"""The web edge (Litestar): ChatFlow webhooks and admin routes.

- :mod:`api.app` — ``create_app(runtime)``: routes, problem-details errors, OpenAPI at ``/schema``.
- :mod:`api.webhooks` — ``POST /webhooks/chatflow/{tenant}`` (secret in ``X-Webhook-Secret``) and the
  deprecated ``POST /webhook/{tenant}?webhook_secret=…``; thin handlers over :func:`api.ingest.ingest`.
- :mod:`api.ingest` — parse → dedup → rate limit → store (one transaction) → enqueue; 4xx for bad
  input, 503 when the store fails (the provider re-delivers), nothing half-written.
- :mod:`api.dedup`, :mod:`api.ratelimit` — ports with an in-memory and a Redis adapter each.
- :mod:`api.admin`, :mod:`api.stats` — ``/admin/version|health|metrics`` and Prometheus ``/metrics``
  behind ``X-Admin-Token``; ``/healthz`` is open.
"""
