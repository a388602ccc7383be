"""The shared hot loop: one `chunk` record per read of a byte iterator."""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator, Awaitable, Callable

from ..context import StreamContext
from ..record import Kind, Record


async def stamp_reads(read: Callable[[], Awaitable[bytes]], ctx: StreamContext,
                      flags: int = 0) -> AsyncIterator[Record]:
    """Yield a `chunk` record for every call of `read` until it returns b"", stamped as it returns.

    Calling the StreamReader method directly (rather than through its
    `iter_*` wrapper) is the same read, one coroutine layer cheaper.
    """
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing = ctx.timing
    stall, pending, limit = timing.stall_seconds, timing.pending, timing.PENDING
    chunk = Kind.CHUNK
    try:
        data = await read()
        if data:
            first = last = perf_counter() - t0
            yield Record(chunk, 0, first, first, len(data), data, None, flags)
            seq, total = 1, len(data)
            # the hot loop: nothing in here that could be done once
            while data := await read():
                t = perf_counter() - t0
                gap = t - last
                if gap < stall and len(pending) < limit:
                    pending.append(gap)
                    yield Record(chunk, seq, t, gap, len(data), data, None, flags)
                else:
                    yield Record(chunk, seq, t, gap, len(data), data, None, flags | timing.note(gap, seq))
                seq += 1
                total += len(data)
                last = t
    finally:
        ctx.tally(seq, total, first, last)
