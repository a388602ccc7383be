"""wire: `iter_chunks()` reassembled into the server's real HTTP/1.1 chunks.

aiohttp may hand a large chunk over as `(part, False)` then `(rest, True)`, and
may add a final `(b"", True)`. A Content-Length body has no chunk framing at
all: every read then says False, so we pass reads through and mark them
`framed: false` for the UI to say so.
"""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterator

from aiohttp import ClientResponse

from ..clock import Clock
from ..record import Record
from ..request import StreamRequest
from .stamp import stamp_reads

FRAMED = {"framed": True}
PARTIAL = {"framed": True, "partial": True}


def is_chunked(resp: ClientResponse) -> bool:
    return "chunked" in resp.headers.get("Transfer-Encoding", "").lower()


async def read(resp: ClientResponse, clock: Clock, request: StreamRequest) -> AsyncIterator[Record]:
    if not is_chunked(resp):
        clock.summary["framing"] = "none (Content-Length or close-delimited body)"
        async for record in stamp_reads(resp.content.readany, clock):
            record.extra = {"framed": False}
            yield record
        return
    clock.summary["framing"] = "chunked"
    t0, seq, last, total, first = clock.t0, 0, 0.0, 0, None
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
                yield Record("chunk", seq, t, t - last, len(data), data, FRAMED)
                first = t if first is None else first
                seq += 1
                total += len(data)
                last = t
    except Exception:
        if pending:  # keep what arrived of the unfinished chunk
            data = b"".join(pending)
            yield Record("chunk", seq, t, t - last, len(data), data, PARTIAL)
            first = t if first is None else first
            seq += 1
            total += len(data)
        raise
    finally:
        clock.tally(seq, total, first, last)
