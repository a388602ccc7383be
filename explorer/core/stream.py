"""`open_stream`: the single entry point of the engine.

It opens the session with stream-friendly timeouts, yields a `response`
record, then the mode's records, then exactly one `end` or `error` record. It
never raises for stream problems.
"""

from __future__ import annotations

import asyncio
from time import perf_counter
from typing import AsyncIterator

import aiohttp

from .clock import Clock
from .errors import StreamError, describe
from .modes import HTTP_MODES
from .modes.auto import mode_for_content_type
from .modes.ws import read_ws
from .parser_errors import forward_parser_errors
from .record import DATA_KINDS, Record
from .request import StreamRequest


def _headers(resp: aiohttp.ClientResponse) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in resp.raw_headers:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        merged[key] = f"{merged[key]}, {text}" if key in merged else text
    return merged


async def _read_http(request: StreamRequest, clock: Clock) -> AsyncIterator[Record]:
    raw_bytes = request.raw or request.mode == "zlib"
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=request.connect_timeout, sock_read=request.idle_timeout)
    ssl = request.ssl_context()
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=not raw_bytes) as session:
        clock.t0 = perf_counter()  # the request is sent next
        try:
            async with asyncio.timeout(_remaining(request, clock)):
                resp = await session.request(
                    request.method,
                    request.url,
                    headers=request.headers or None,
                    data=request.body,
                    ssl=True if ssl is None else ssl,
                )
        except TimeoutError:
            if request.max_time is None:
                raise
            clock.expired = True
            return
        async with resp:
            forward_parser_errors(resp)
            mode = request.mode if request.mode != "auto" else mode_for_content_type(resp.headers.get("Content-Type", ""))
            yield clock.record("response", clock.now(), 0, None, {
                "status": resp.status,
                "reason": resp.reason or "",
                "http_version": f"{resp.version.major}.{resp.version.minor}" if resp.version else "",
                "headers": _headers(resp),
                "url": str(resp.url),
                "mode": mode,
            })
            clock.abort = resp.close
            failed = resp.status >= 400
            reader = HTTP_MODES["any" if failed else mode]
            async for record in reader(resp, clock, request):
                yield record
            if failed:
                raise StreamError("http_status", f"The server answered HTTP {resp.status} {resp.reason or ''}".rstrip() + ".")


async def open_stream(request: StreamRequest) -> AsyncIterator[Record]:
    """Stream `request`: a `response` record, data records, then one `end` or `error`."""
    clock = Clock()
    problem = request.problem()
    if problem:
        yield clock.record("error", 0.0, 0, None, {"error": problem, "type": "usage"})
        return
    source = read_ws(request, clock) if request.is_websocket else _read_http(request, clock)
    loop = asyncio.get_running_loop()
    timer = loop.call_later(request.max_time, _expire, clock) if request.max_time else None
    records = total_bytes = 0
    ttfb: float | None = None
    outcome: dict | None = None
    try:
        async for record in source:
            if record.kind in DATA_KINDS:
                records += len(record.events) if record.kind == "event" else 1
                total_bytes += record.size
                if ttfb is None:
                    ttfb = record.t
            yield record
    except Exception as exc:
        if not clock.expired:
            kind, message = describe(exc, idle_timeout=request.idle_timeout,
                                     connect_timeout=request.connect_timeout, received=ttfb is not None)
            outcome = {"error": message, "type": kind}
    finally:
        if timer is not None:
            timer.cancel()
        await source.aclose()
    summary = {"records": records, "bytes": total_bytes, "duration": round(clock.now(), 6),
               "ttfb": None if ttfb is None else round(ttfb, 6), **clock.summary}
    if clock.expired:
        summary["stopped"] = f"max time of {request.max_time:g} s reached"
    if outcome is None:
        yield clock.record("end", clock.now(), total_bytes, None, summary)
    else:
        yield clock.record("error", clock.now(), total_bytes, None, {**outcome, **summary})


def _remaining(request: StreamRequest, clock: Clock) -> float | None:
    """Seconds left before max time, for the phase before there is anything to abort."""
    return None if request.max_time is None else max(0.0, request.max_time - clock.now())


def _expire(clock: Clock) -> None:
    """The max-time deadline: end the stream cleanly wherever it is."""
    clock.expired = True
    if clock.abort is not None:
        clock.abort()
