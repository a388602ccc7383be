"""`open_stream`: the single entry point of the engine.

It opens the session with stream-friendly timeouts, yields a `response`
record, then the mode's records (with the token records of an LLM stream, see
llm/stage.py), then exactly one `end` or `error` record carrying the stream's
`Summary`. It never raises for stream problems. Stall
marks and gap statistics come from the one `TimingStage`, which the modes
feed as they stamp records, so every consumer gets identical records.
"""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator

from .context import StreamContext
from .errors import describe
from .llm.stage import stage_for
from .modes import preload
from .opened import Opened
from .opening import open_http
from .record import Kind, Phases, Record, Summary
from .request import StreamRequest
from .timing import TimingStage


async def open_stream(request: StreamRequest, timing: TimingStage | None = None,
                      end_on_cancel: bool = False) -> AsyncGenerator[Record, None]:
    """Stream `request`: a `response` record, data records, then one `end` or `error`.

    Pass `timing` to read live gap figures while the stream runs. With
    `end_on_cancel`, cancelling the consuming task (Ctrl-C in `explorer get`)
    ends the stream like max time does: its `end` record says it was
    interrupted, and the task goes on. The mode's
    generator is consumed right here (no intermediate generator): every layer
    between a read and the consumer costs time on every record.
    """
    ctx = StreamContext(request.max_time, timing or TimingStage(request.stall_seconds))
    problem = request.problem()
    if problem:
        yield ctx.record(Kind.ERROR, 0.0, value=_summary(ctx, error=problem, type="usage"))
        return
    if request.is_websocket:
        from .modes.ws import open_websocket  # websockets loads only for a WebSocket

        opener = open_websocket
    else:
        opener = open_http
        preload(request.mode)
    timer = ctx.start_deadline()
    failure: tuple[str, str] | None = None
    opened: Opened | None = None
    interrupted = False
    try:
        async with opener(request, ctx) as opened:
            if opened is not None:
                for record in opened.preamble:
                    yield record
                yield opened.response
                side = ctx.side  # records the body reader made (framing, trailers) go before the next one
                llm = ctx.llm = stage_for(opened.response.response.mode, request)
                async for record in opened.records:
                    if side:
                        for made in side:
                            yield made
                        side.clear()
                    yield record
                    if llm is not None:  # token records go right after the record they came from
                        for token in llm.feed(record):
                            yield token
                        if llm.off:
                            llm = None
                opened.after_body()
                for made in side:
                    yield made
                side.clear()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not end_on_cancel or task is None:
            raise
        task.uncancel()
        interrupted = True
    except Exception as exc:
        if not ctx.expired:
            failure = describe(exc, idle_timeout=request.idle_timeout, connect_timeout=request.connect_timeout,
                               received=ctx.ttfb is not None, headers="headers" in ctx.marks, host=request.host)
    finally:
        if timer is not None:
            timer.cancel()
        if opened is not None:
            await opened.records.aclose()  # type: ignore[attr-defined]
    stopped = f"max time of {request.max_time:g} s reached" if ctx.expired else None
    if interrupted:
        stopped = "interrupted"
    if failure is None:
        yield ctx.record(Kind.END, ctx.now(), value=_summary(ctx, stopped=stopped))
    else:
        kind, message = failure
        yield ctx.record(Kind.ERROR, ctx.now(), value=_summary(ctx, stopped=stopped, error=message, type=kind))


def _summary(ctx: StreamContext, **fields: str | None) -> Summary:
    ttfb, last_byte = ctx.byte_span()
    return Summary(
        records=ctx.records,
        bytes=ctx.bytes,
        duration=round(ctx.now(), 6),
        ttfb=None if ttfb is None else round(ttfb, 6),
        phases=phases(ctx),
        gaps=ctx.timing.summary(ctx.records),
        **ctx.mode_summary,
        **fields,  # type: ignore[arg-type]
        llm=None if ctx.llm is None else ctx.llm.summary(None if last_byte is None else round(last_byte, 6)),
    )


def phases(ctx: StreamContext) -> Phases:
    """The connection phases from the context's marks and first and last byte."""
    marks = ctx.marks

    def span(start: str, end: str) -> float | None:
        if start in marks and end in marks:
            return round(marks[end] - marks[start], 6)
        return None

    def at(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    first, last = ctx.byte_span()
    return Phases(
        dns=span("dns_start", "dns_end"),
        connect=span("connect_start", "connect_end"),
        sent=at(marks.get("sent")),
        headers=at(marks.get("headers")),
        first_byte=at(first),
        last_byte=at(last),
        total=at(ctx.now()),
    )
