"""The shared hot loop: one `chunk` record per read of a byte iterator."""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator, Awaitable, Callable

from ..clock import Clock
from ..record import Record


async def stamp_reads(read: Callable[[], Awaitable[bytes]], clock: Clock) -> AsyncIterator[Record]:
    """Yield a `chunk` record for every call of `read` until it returns b"", stamped as it returns.

    Calling the StreamReader method directly (rather than through its
    `iter_*` wrapper) is the same read, one coroutine layer cheaper.
    """
    t0, seq, last, total, first = clock.t0, 0, 0.0, 0, None
    try:
        data = await read()
        if data:
            first = last = perf_counter() - t0
            yield Record("chunk", 0, first, first, len(data), data)
            seq, total = 1, len(data)
            # the hot loop: nothing in here that could be done once
            while data := await read():
                t = perf_counter() - t0
                yield Record("chunk", seq, t, t - last, len(data), data)
                seq += 1
                total += len(data)
                last = t
    finally:
        clock.tally(seq, total, first, last)
