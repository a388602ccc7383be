"""ws: a WebSocket via `websockets`, one `message` record per text or binary message.

Proxy variables are ignored (`proxy=None`): the explorer talks to what it is
pointed at. A close with 1000/1001 ends the stream cleanly and the code and
reason land in the `end` record; any other code becomes an error record.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from time import perf_counter
from typing import AsyncIterator

import websockets
from websockets.exceptions import ConnectionClosedOK
from yarl import URL

from ..clock import Clock
from ..errors import StreamError
from ..record import Record
from ..request import StreamRequest

MAX_MESSAGE = 16 * 1024 * 1024
TEXT = {"type": "text"}
BINARY = {"type": "binary"}


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


async def read_ws(request: StreamRequest, clock: Clock) -> AsyncIterator[Record]:
    url = websocket_url(request.url)
    ssl = websocket_ssl(request) if url.startswith("wss:") else None
    try:
        async with asyncio.timeout(None if request.max_time is None else max(0.0, request.max_time - clock.now())):
            ws = await websockets.connect(
                url,
                proxy=None,
                ssl=ssl,
                additional_headers=request.headers or None,
                open_timeout=request.connect_timeout,
                max_size=MAX_MESSAGE,
                ping_interval=None,
            )
    except TimeoutError:
        if request.max_time is None:
            raise
        clock.expired = True
        return
    async with ws:
        response = ws.response
        headers = {k: v for k, v in response.headers.raw_items()} if response else {}
        t = clock.now()
        clock.mark("headers")
        yield clock.record("response", t, 0, None, {
            "status": response.status_code if response else 101,
            "reason": response.reason_phrase if response else "Switching Protocols",
            "http_version": "1.1",
            "headers": headers,
            "url": url,
            "mode": "ws",
        })
        clock.abort = ws.transport.abort
        t0, seq, last, idle, total, first = clock.t0, 0, 0.0, request.idle_timeout, 0, None
        try:
            while True:
                if idle is None:
                    message = await ws.recv()
                else:
                    async with asyncio.timeout(idle):
                        message = await ws.recv()
                t = perf_counter() - t0
                if isinstance(message, str):
                    data = message.encode()
                    yield Record("message", seq, t, t - last, len(data), data, TEXT)
                else:
                    yield Record("message", seq, t, t - last, len(message), bytes(message), BINARY)
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
            clock.abort = None
            clock.tally(seq, total, first, last)
        clock.summary["close_code"] = ws.close_code
        clock.summary["close_reason"] = ws.close_reason
