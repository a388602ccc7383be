"""`Outgoing`: a run's way in for messages to send on its WebSocket, from outside the stream.

Apart from ws.py so that the engine (and its thread, in the app's tests)
can make one per run without loading websockets: only a WebSocket run needs
that library, and ws.py loads it when one opens.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Awaitable, Iterator, TypeVar

T = TypeVar("T")

_OUTGOING: ContextVar[Outgoing | None] = ContextVar("explorer_ws_outgoing", default=None)


class Outgoing:
    """A run's way in for messages to send on its WebSocket from outside the stream (the app's send box).

    The engine makes one per run and reads the run `within` it; while the
    run's WebSocket is open, its sender takes what `send` hands in. Call
    `send` on the stream's event loop: it drops the message and returns False
    when no WebSocket of the run is open (not yet, no more, or an HTTP run).
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[bytes, bool]] | None = None

    def send(self, data: bytes, binary: bool = False) -> bool:
        """Send `data` as a text message (binary when `binary`, or when it is not UTF-8); False if none is open."""
        queue = self._queue
        if queue is None:
            return False
        queue.put_nowait((data, binary))
        return True

    async def within(self, work: Awaitable[T]) -> T:
        """Await `work` with this as the way in for the WebSocket it opens (in this task only)."""
        token = _OUTGOING.set(self)
        try:
            return await work
        finally:
            _OUTGOING.reset(token)

    @contextmanager
    def taking(self) -> Iterator[asyncio.Queue[tuple[bytes, bool]]]:
        """While a WebSocket is open: the queue `send` hands messages to."""
        queue: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue()
        self._queue = queue
        try:
            yield queue
        finally:
            self._queue = None


def current_outgoing() -> Outgoing:
    """The way in of the run this task reads (`Outgoing.within`), or a new one nobody sends to."""
    return _OUTGOING.get() or Outgoing()
