"""chunked: reads of at most n bytes, as `iter_chunked(n)` gives them (up to n, not exactly n).

`iter_chunked(n)` awaits `StreamReader.read(n)` for every piece: it waits
only while the buffer is empty, then takes up to n bytes of it, joined across
the reads it holds. We take everything buffered at once (`readany()`) and cut
it into pieces of n bytes ourselves, which gives the same pieces: n bytes
each, then what is left. Cutting a `bytes` is one C call, where aiohttp's
`iter_chunked(n)` costs two coroutines and four Python calls per piece.

Like lines, every piece is its own record stamped with its read's time; the
pieces after the first of a read have gap 0 (the timing stage counts them
from the record index), and their records are built slot by slot (see
lines.py).
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
    readany = content.readany
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing = ctx.timing
    stall, pending, limit = timing.stall_seconds, timing.pending, timing.PENDING
    chunk = Kind.CHUNK
    new, cls = object.__new__, Record
    set_chunk_size = getattr(content, "set_read_chunk_size", None)
    if set_chunk_size is not None:
        set_chunk_size(n)  # aiohttp's buffer limits, as iter_chunked(n) sets them
    try:
        while data := await readany():
            t = perf_counter() - t0
            gap = t - last
            size = len(data)
            piece = data if size <= n else data[:n]
            if gap < stall and len(pending) < limit and seq:
                pending.append(gap)
                yield Record(chunk, seq, t, gap, len(piece), piece)
            else:
                yield Record(chunk, seq, t, gap, len(piece), piece, None, timing.note(gap, seq))
            if first is None:
                first = t
            last = t
            total += size
            if size > n:
                for seq, start in enumerate(range(n, size, n), seq + 1):  # noqa: B020 (seq is the record in flight)
                    piece = data[start:start + n]
                    record = new(cls)
                    record.kind = chunk
                    record.seq = seq
                    record.t = t
                    record.gap = 0.0
                    record.size = len(piece)
                    record.data = piece
                    record.value = None
                    record.flags = 0
                    record.full_size = None
                    yield record
            seq += 1
    finally:
        ctx.tally(seq, total, first, last)
