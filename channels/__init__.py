"""Channels: the outside services Truffles talks to, and local emulators of them.

- :mod:`channels.chatflow` — WhatsApp via ChatFlow: inbound webhook parser, outbound client,
  emulator (``python -m channels.chatflow.emulator``) and a customer player.
- :mod:`channels.telegram` — the managers' Telegram forum group: Bot API types and client,
  emulator (``python -m channels.telegram.emulator``) and a manager player.
- :mod:`channels.errors` — one error tree for both; :mod:`channels.faults` — emulator fault
  injection; :mod:`channels.serving` — run an emulator with uvicorn (foreground or a thread).

Nothing here imports ``engine``, ``config``, ``storage`` or ``workers``.
"""

from __future__ import annotations

__all__: list[str] = []
