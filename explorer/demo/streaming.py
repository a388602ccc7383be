"""Helpers every streaming handler shares: a counting chunked writer and the event log."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from aiohttp import HttpVersion11, web

EVENT_LOG_SIZE = 500

STREAM = web.RequestKey("stream", object)
"""The request's `ChunkStream` (or None), read by the app's guard for the event log."""


class EventLog:
    """A bounded, in-memory log of how each streamed request ended."""

    def __init__(self, size: int = EVENT_LOG_SIZE) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=size)
        self._listeners: list[Any] = []

    def add(self, **event: Any) -> None:
        event.setdefault("time", time.time())
        self._events.append(event)
        for listener in list(self._listeners):
            listener(event)

    def subscribe(self, listener: Any) -> None:
        """Call `listener(event)` for every event added from now on."""
        self._listeners.append(listener)

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self._events)


class ChunkStream:
    """A chunked `StreamResponse` where each `write()` is one HTTP chunk.

    It counts chunks and bytes for the event log, and yields to the event loop
    after every write: `StreamResponse.write` does not yield while the
    transport buffer has room, and a tight loop would starve a TUI sharing the
    loop.
    """

    def __init__(
        self,
        request: web.Request,
        content_type: str = "text/plain",
        charset: str | None = "utf-8",
        headers: dict[str, str] | None = None,
        chunked: bool = True,
    ) -> None:
        self.request = request
        self.response = web.StreamResponse(headers=headers)
        self.response.content_type = content_type
        if charset:
            self.response.charset = charset
        if chunked and request.version >= HttpVersion11:  # HTTP/1.0 has no chunks: the body ends at close
            self.response.enable_chunked_encoding()
        self.chunks = 0
        self.bytes = 0
        request[STREAM] = self

    async def open(self) -> ChunkStream:
        await self.response.prepare(self.request)
        return self

    async def write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        await self.response.write(data)
        self.chunks += 1
        self.bytes += len(data)
        await asyncio.sleep(0)

    async def finish(self) -> web.StreamResponse:
        await self.response.write_eof()
        return self.response


async def open_stream(request: web.Request, content_type: str = "text/plain", **kwargs: Any) -> ChunkStream:
    """Create, prepare and return a `ChunkStream` for `request`."""
    return await ChunkStream(request, content_type, **kwargs).open()
