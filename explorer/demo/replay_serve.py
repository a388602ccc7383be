"""Serving a planned `Replay` (replay.py): the recorded response or WebSocket, each write at its recorded time.

aiohttp.web is imported by the handlers, when a replay is served.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import TYPE_CHECKING, Any

from .replay import NO_BODY, Replay

if TYPE_CHECKING:
    from aiohttp import web

class _Tally:
    """What the app's guard reads for the event log (as `ChunkStream` offers it)."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response
        self.chunks = 0
        self.bytes = 0


async def _until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    """Sleep until `deadline` on the loop's clock; yield once when it has passed (a burst must not starve the loop)."""
    delay = deadline - loop.time()
    await asyncio.sleep(delay if delay > 0 else 0)


async def serve_http(replay: Replay, request: web.Request) -> web.StreamResponse:
    """The recorded response: status and headers at once, then each write at its time, then the recorded ending."""
    from aiohttp import HttpVersion11, web

    from .faults import Abandoned
    from .streaming import STREAM

    response = web.StreamResponse(status=replay.status, reason=replay.reason or None)
    for name, value in replay.headers:
        response.headers.add(name, value)
    tally = _Tally(response)
    request[STREAM] = tally
    if replay.content_length is not None:
        response.content_length = replay.content_length
    elif replay.status not in NO_BODY and request.version >= HttpVersion11:
        response.enable_chunked_encoding()
    if replay.head_wait:
        await asyncio.sleep(replay.head_wait)
    await response.prepare(request)  # a StreamResponse sends its headers now, not with the first write
    loop = asyncio.get_running_loop()
    start = loop.time()
    for send in replay.sends:
        await _until(loop, start + send.at)
        if send.raw:
            _transport(request, Abandoned).write(send.data)
        else:
            await response.write(send.data)
        tally.chunks += 1
        tally.bytes += len(send.data)
    if replay.ending == "end":
        if replay.content_length is None:  # a Content-Length body is over when its bytes are: the client goes
            await _until(loop, start + replay.end_at)
        await response.write_eof()
        return response
    await _until(loop, start + replay.end_at)
    transport = _transport(request, Abandoned)
    if replay.ending == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    raise Abandoned(f"replayed the recorded {'reset' if replay.ending == 'reset' else 'cut'} "
                    f"after {tally.chunks} writes")


def _transport(request: web.Request, abandoned: type[ConnectionError]) -> asyncio.Transport:
    transport = request.transport
    if transport is None or transport.is_closing():
        raise abandoned("client already gone")
    return transport


async def serve_websocket(replay: Replay, request: web.Request) -> web.StreamResponse:
    """The recorded WebSocket: each incoming message at its time, then the recorded close (or a dropped connection)."""
    from aiohttp import web

    from .streaming import STREAM
    from .websocket import OPEN_SOCKETS

    ws = web.WebSocketResponse(heartbeat=None, timeout=1.0, protocols=replay.protocols)
    if not ws.can_prepare(request).ok:
        raise web.HTTPUpgradeRequired(text="This replay is a WebSocket: open it with a ws:// URL.\n",
                                      headers={"Upgrade": "websocket"})
    if replay.head_wait:
        await asyncio.sleep(replay.head_wait)
    await ws.prepare(request)
    request.app[OPEN_SOCKETS].add(ws)
    request[STREAM] = None
    reader = asyncio.create_task(_read_until_closed(ws))  # answers the client's close at once (see websocket.py)
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        for send in replay.sends:
            await _until(loop, start + send.at)
            if ws.closed or reader.done():
                return ws
            if send.binary:
                await ws.send_bytes(send.data)
            else:
                await ws.send_str(send.data.decode("utf-8", "replace"))
        await _until(loop, start + replay.end_at)
        if ws.closed or reader.done():
            return ws
        if replay.close_code is not None:
            await ws.close(code=replay.close_code, message=replay.close_reason.encode())
        elif request.transport is not None:
            request.transport.abort()
    finally:
        reader.cancel()
        request.app[OPEN_SOCKETS].discard(ws)
    return ws


async def _read_until_closed(ws: Any) -> None:
    async for _ in ws:
        pass
