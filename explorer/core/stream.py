"""`open_stream`: the single entry point of the engine.

It opens the session with stream-friendly timeouts, yields a `response`
record, then the mode's records, then exactly one `end` or `error` record. It
never raises for stream problems.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from .clock import Clock
from .errors import describe
from .opening import open_http
from .modes.ws import read_ws
from .record import Record
from .request import StreamRequest


async def open_stream(request: StreamRequest) -> AsyncIterator[Record]:
    """Stream `request`: a `response` record, data records, then one `end` or `error`.

    The mode's generator is consumed right here (no intermediate generator):
    every layer between a read and the consumer costs time on every record.
    """
    clock = Clock()
    problem = request.problem()
    if problem:
        yield clock.record("error", 0.0, 0, None, {"error": problem, "type": "usage"})
        return
    loop = asyncio.get_running_loop()
    timer = loop.call_later(request.max_time, _expire, clock) if request.max_time else None
    outcome: dict | None = None
    source: AsyncIterator[Record] | None = None
    try:
        if request.is_websocket:
            source = read_ws(request, clock)
            async for record in source:
                yield record
        else:
            async with open_http(request, clock) as opened:
                if opened is not None:
                    yield opened.record
                    source = opened.records(clock, request)
                    async for record in source:
                        yield record
                    opened.check_status()
    except Exception as exc:
        if not clock.expired:
            kind, message = describe(exc, idle_timeout=request.idle_timeout,
                                     connect_timeout=request.connect_timeout, received=clock.ttfb is not None,
                                     headers="headers" in clock.phases, host=request.host)
            outcome = {"error": message, "type": kind}
    finally:
        if timer is not None:
            timer.cancel()
        if source is not None:
            await source.aclose()  # type: ignore[attr-defined]
    ttfb = clock.ttfb
    summary = {"records": clock.records, "bytes": clock.bytes, "duration": round(clock.now(), 6),
               "ttfb": None if ttfb is None else round(ttfb, 6), "phases": phases(clock), **clock.summary}
    if clock.expired:
        summary["stopped"] = f"max time of {request.max_time:g} s reached"
    if outcome is None:
        yield clock.record("end", clock.now(), clock.bytes, None, summary)
    else:
        yield clock.record("error", clock.now(), clock.bytes, None, {**outcome, **summary})


def phases(clock: Clock) -> dict[str, float | None]:
    """DNS and connect durations, then when each later phase happened (seconds since the request).

    A phase that did not happen (no DNS for an IP literal, no new connection,
    no data) is None.
    """
    marks = clock.phases

    def span(start: str, end: str) -> float | None:
        if start in marks and end in marks:
            return round(marks[end] - marks[start], 6)
        return None

    def at(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        "dns": span("dns_start", "dns_end"),
        "connect": span("connect_start", "connect_end"),
        "sent": at(marks.get("sent")),
        "headers": at(marks.get("headers")),
        "first_byte": at(clock.ttfb),
        "last_byte": at(clock.last_byte if clock.ttfb is not None else None),
        "total": at(clock.now()),
    }


def _expire(clock: Clock) -> None:
    """The max-time deadline: end the stream cleanly wherever it is."""
    clock.expired = True
    if clock.abort is not None:
        clock.abort()
