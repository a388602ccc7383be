"""chunked: reads of at most n bytes, as `iter_chunked(n)` gives them (up to n, not exactly n).

`iter_chunked(n)` awaits `StreamReader.read(n)` for every piece, which waits
only while the buffer is empty and then takes up to n bytes from it. We take
the same pieces with the synchronous `read_nowait(n)` while the buffer has
data and await `read(n)` only when it is empty: the same records, without a
coroutine per piece.
"""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator

from ..body import Body
from ..context import StreamContext
from ..record import Kind, Record
from ..request import StreamRequest


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    content, n = resp.content, request.chunk_size
    read_nowait, read_waiting = content.read_nowait, content.read
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing = ctx.timing
    stall, pending, limit = timing.stall_seconds, timing.pending, timing.PENDING
    chunk = Kind.CHUNK
    try:
        while True:
            data = read_nowait(n)
            if not data:
                data = await read_waiting(n)
                if not data:
                    break
            t = perf_counter() - t0
            gap = t - last
            if gap < stall and len(pending) < limit and seq:
                pending.append(gap)
                yield Record(chunk, seq, t, gap, len(data), data)
            else:
                yield Record(chunk, seq, t, gap, len(data), data, None, timing.note(gap, seq))
            if first is None:
                first = t
            seq += 1
            total += len(data)
            last = t
    finally:
        ctx.tally(seq, total, first, last)
