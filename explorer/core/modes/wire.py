"""wire: one record per HTTP/1.1 chunk as framed on the wire, read by the h11 client.

Each `chunk` record's `size` is the chunk's size as framed, its `data` the
chunk's bytes, decoded when the body has a Content-Encoding (`Flag.DECODED`:
a chunk that decodes to nothing still gets its record), and its `value` the
chunk extensions as sent. With `--framing` the size lines and CRLFs come as
`framing` records between them. A body without chunk framing (Content-Length
or close-delimited) gives one record per socket read, flagged `UNFRAMED`.
"""

from __future__ import annotations

from typing import AsyncIterator

from ..body import Body
from ..chunk_framing import Framing
from ..context import StreamContext
from ..record import Flag, Kind, Record
from ..request import StreamRequest
from ..wire_client import Piece


async def read(body: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    exchange, decoder, show_framing = body.exchange, body.decoder, request.framing
    assert exchange is not None, "wire mode reads with the wire-level client"
    ctx.mode_summary["framing"] = "chunked" if exchange.chunked else "none (Content-Length or close-delimited body)"
    flags = (Flag.FRAMED if exchange.chunked else Flag.UNFRAMED) | (Flag.DECODED if decoder else 0)
    seq, last, total, first = 0, 0.0, 0, None
    timing, chunk = ctx.timing, Kind.CHUNK
    pending: list[bytes] = []
    extensions: str | None = None
    t = 0.0
    try:
        while not exchange.done:
            items = await exchange.body_reads()
            t = exchange.at
            if not exchange.chunked:  # no framing: one record per read
                whole = b"".join(i.data for i in items if isinstance(i, Piece))
                if not whole:
                    continue
                items = [Piece(whole, True, True, None)]
            for item in items:
                if isinstance(item, Framing):
                    if show_framing:
                        yield ctx.record(Kind.FRAMING, t, len(item.raw), item.raw)
                    continue
                if item.start:
                    extensions = item.extensions
                pending.append(item.data)
                if not item.end:
                    continue
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                gap = t - last
                shown = decoder.feed(data) if decoder else data
                yield Record(chunk, seq, t, gap, len(data), shown, extensions, flags | timing.note(gap, seq))
                first = t if first is None else first
                seq += 1
                total += len(data)
                last = t
        if decoder:
            decoder.finish()
    except Exception:
        if pending:  # keep what arrived of the unfinished chunk
            data = b"".join(pending)
            gap = t - last
            yield Record(chunk, seq, t, gap, len(data), data, extensions,
                         (flags & ~Flag.DECODED) | Flag.PARTIAL | timing.note(gap, seq))
            first = t if first is None else first
            seq += 1
            total += len(data)
        raise
    finally:
        ctx.tally(seq, total, first, last)
