"""Async HTTP clients used from synchronous worker threads: one event loop and one client per token,
per thread (an httpx client is bound to the loop that created it)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["ThreadClients"]

T = TypeVar("T")


class _Closable(Protocol):
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class _ThreadState(Generic[C]):
    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.clients: dict[str, C] = {}


class ThreadClients(Generic[C]):
    """``run(token, call)`` runs ``call(client)`` on this thread's loop with this thread's client."""

    def __init__(self, make: Callable[[str], C]) -> None:
        self._make = make
        self._local = threading.local()
        self._all: list[_ThreadState[C]] = []
        self._mutex = threading.Lock()

    def run(self, token: str, call: Callable[[C], Awaitable[T]]) -> T:
        state: _ThreadState[C] | None = getattr(self._local, "state", None)
        if state is None:
            state = _ThreadState()
            self._local.state = state
            with self._mutex:
                self._all.append(state)
        client = state.clients.get(token)
        if client is None:
            client = self._make(token)
            state.clients[token] = client

        async def _go() -> T:
            return await call(client)

        return state.runner.run(_go())

    def close(self) -> None:
        """Close every thread's clients and loop; only once no thread uses them any more."""
        with self._mutex:
            states, self._all = self._all, []
        for state in states:
            for client in state.clients.values():
                state.runner.run(client.aclose())
            state.runner.close()
