"""Read modes: each turns a response (or a WebSocket) into Records.

An HTTP mode is `read(resp, clock, request) -> AsyncIterator[Record]`; it
stamps each record the instant its read returns and raises `StreamError` for
problems it detects itself.
"""

from __future__ import annotations

from typing import AsyncIterator, Callable

from aiohttp import ClientResponse

from ..clock import Clock
from ..record import Record
from ..request import StreamRequest
from . import any, chunked, json, lines, sse, wire, zlib

HttpMode = Callable[[ClientResponse, Clock, StreamRequest], AsyncIterator[Record]]

HTTP_MODES: dict[str, HttpMode] = {
    "chunked": chunked.read,
    "any": any.read,
    "wire": wire.read,
    "lines": lines.read,
    "json": json.read,
    "zlib": zlib.read,
    "sse": sse.read,
}
