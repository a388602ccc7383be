"""WebSocket endpoints: a ticker that sends N messages and closes, and an echo."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import WSMsgType, web

from .streaming import STREAM
from .tutorial import Params, paced_sleep

OPEN_SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("open_sockets")


async def _accept(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=None, timeout=1.0)
    await ws.prepare(request)
    request.app[OPEN_SOCKETS].add(ws)
    request[STREAM] = None
    return ws


async def ws_ticker(request: web.Request, p: Params) -> web.WebSocketResponse:
    """Send `count` messages `interval` apart (every fourth one binary), then close 1000.

    A reader task answers the client's close frame at once: aiohttp only
    handles incoming frames while someone reads, and a client leaving early
    would otherwise wait for its close handshake to time out.
    """
    ws = await _accept(request)
    reader = asyncio.create_task(_read_until_closed(ws))
    try:
        for i in range(int(p["count"])):
            if i:
                await paced_sleep(p)
            if ws.closed or reader.done():
                break
            if i % 4 == 3:
                await ws.send_bytes(bytes([i % 256]) * 8 + b"\x00\xff")
            else:
                await ws.send_str(json.dumps({"seq": i, "sent": time.time()}))
        await ws.close(code=1000, message=b"done")
    finally:
        reader.cancel()
        request.app[OPEN_SOCKETS].discard(ws)
    return ws


async def _read_until_closed(ws: web.WebSocketResponse) -> None:
    async for _ in ws:
        pass


async def ws_echo(request: web.Request, p: Params) -> web.WebSocketResponse:
    """Echo every text and binary message until the client closes."""
    ws = await _accept(request)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
    finally:
        request.app[OPEN_SOCKETS].discard(ws)
    return ws


async def close_open_sockets(app: web.Application) -> None:
    """on_shutdown: close every open WebSocket with 1001 (going away)."""
    open_sockets = app[OPEN_SOCKETS]
    sockets = list(open_sockets)
    await asyncio.gather(
        *(ws.close(code=1001, message=b"server shutdown") for ws in sockets),
        return_exceptions=True,
    )
