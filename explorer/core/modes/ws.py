"""ws: a WebSocket via `websockets`, one `message` record per text or binary message.

Proxy variables are ignored (`proxy=None`): the explorer talks to what it is
pointed at. A close with 1000/1001 ends the stream cleanly and the code and
reason land in the `end` record; any other code becomes an error record.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from contextlib import asynccontextmanager
from time import perf_counter
from typing import AsyncIterator

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedOK
from yarl import URL

from ..context import StreamContext
from ..errors import StreamError
from ..opened import Opened
from ..record import Flag, Kind, Record, Response
from ..request import StreamRequest

MAX_MESSAGE = 16 * 1024 * 1024


def websocket_url(url: str) -> str:
    """http(s) URLs map to ws(s) so a person can paste either."""
    parsed = URL(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    return str(parsed.with_scheme(scheme))


def websocket_ssl(request: StreamRequest) -> ssl_module.SSLContext:
    """websockets wants a context for wss (never None or False)."""
    context = request.ssl_context()
    if isinstance(context, ssl_module.SSLContext):
        return context
    context = ssl_module.create_default_context()
    if request.insecure:
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context


@asynccontextmanager
async def open_websocket(request: StreamRequest, ctx: StreamContext) -> AsyncIterator[Opened | None]:
    """Connect and yield the open stream: its response record and its messages (None if max time ran out)."""
    url = websocket_url(request.url)
    ssl = websocket_ssl(request) if url.startswith("wss:") else None
    ctx.start_clock()
    async with ctx.until_deadline():
        ws = await websockets.connect(
            url,
            proxy=None,
            ssl=ssl,
            additional_headers=request.headers or None,
            open_timeout=request.connect_timeout,
            max_size=MAX_MESSAGE,
            ping_interval=None,
        )
    if ctx.expired:
        yield None
        return
    async with ws:
        response = ws.response
        ctx.mark("headers")
        record = ctx.record(Kind.RESPONSE, ctx.now(), value=Response(
            status=response.status_code if response else 101,
            reason=response.reason_phrase if response else "Switching Protocols",
            http_version="1.1",
            headers={k: v for k, v in response.headers.raw_items()} if response else {},
            url=url,
            mode="ws",
            started_at=ctx.started_at,
        ))
        ctx.abort = ws.transport.abort
        try:
            yield Opened(record, _messages(ws, ctx, request.idle_timeout))
        finally:
            ctx.abort = None
        ctx.mode_summary["close_code"] = ws.close_code
        ctx.mode_summary["close_reason"] = ws.close_reason


async def _messages(ws: ClientConnection, ctx: StreamContext, idle: float | None) -> AsyncIterator[Record]:
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing, message_kind = ctx.timing, Kind.MESSAGE
    try:
        while True:
            if idle is None:
                message = await ws.recv()
            else:
                async with asyncio.timeout(idle):
                    message = await ws.recv()
            t = perf_counter() - t0
            gap = t - last
            if isinstance(message, str):
                data = message.encode()
                yield Record(message_kind, seq, t, gap, len(data), data, None, timing.note(gap, seq))
            else:
                yield Record(message_kind, seq, t, gap, len(message), bytes(message), None,
                             Flag.BINARY | timing.note(gap, seq))
            first = t if first is None else first
            seq += 1
            total += len(message)
            last = t
    except ConnectionClosedOK:
        pass
    except TimeoutError:
        raise StreamError(
            "idle_timeout" if seq else "ttfb_timeout",
            f"The WebSocket went silent for longer than the {idle:g} s idle timeout.",
        ) from None
    finally:
        ctx.tally(seq, total, first, last)
