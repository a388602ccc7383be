"""wire: `iter_chunks()` reassembled into the server's real HTTP/1.1 chunks.

aiohttp may hand a large chunk over as `(part, False)` then `(rest, True)`, and
may add a final `(b"", True)`. A Content-Length body has no chunk framing at
all: every read then says False, so we pass reads through, flagged
`UNFRAMED` for the faces to say so.
"""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator

from aiohttp import ClientResponse

from ..context import StreamContext
from ..record import Flag, Kind, Record
from ..request import StreamRequest
from .stamp import stamp_reads


def is_chunked(resp: ClientResponse) -> bool:
    return "chunked" in resp.headers.get("Transfer-Encoding", "").lower()


async def read(resp: ClientResponse, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    if not is_chunked(resp):
        ctx.mode_summary["framing"] = "none (Content-Length or close-delimited body)"
        async for record in stamp_reads(resp.content.readany, ctx, Flag.UNFRAMED):
            yield record
        return
    ctx.mode_summary["framing"] = "chunked"
    t0, seq, last, total, first = ctx.t0, 0, 0.0, 0, None
    timing, chunk = ctx.timing, Kind.CHUNK
    pending: list[bytes] = []
    t = 0.0
    try:
        async for data, end_of_chunk in resp.content.iter_chunks():
            t = perf_counter() - t0
            if not end_of_chunk:
                pending.append(data)
                continue
            if pending:
                pending.append(data)
                data = b"".join(pending)
                pending.clear()
            if data:
                gap = t - last
                yield Record(chunk, seq, t, gap, len(data), data, None, Flag.FRAMED | timing.note(gap, seq))
                first = t if first is None else first
                seq += 1
                total += len(data)
                last = t
    except Exception:
        if pending:  # keep what arrived of the unfinished chunk
            data = b"".join(pending)
            gap = t - last
            yield Record(chunk, seq, t, gap, len(data), data, None,
                         Flag.FRAMED | Flag.PARTIAL | timing.note(gap, seq))
            first = t if first is None else first
            seq += 1
            total += len(data)
        raise
    finally:
        ctx.tally(seq, total, first, last)
