"""wire: one record per HTTP/1.1 chunk as framed on the wire, read by the h11 client.

Each `chunk` record's `size` is the chunk's size as framed, its `data` the
chunk's bytes, decoded when the body has a Content-Encoding (`Flag.DECODED`:
a chunk that decodes to nothing still gets its record), and its `value` the
chunk extensions as sent. With `--framing` the size lines and CRLFs come as
`framing` records between them. A body without chunk framing (Content-Length
or close-delimited) gives one record per socket read, flagged `UNFRAMED`.

Nothing is held past `--max-value`: a longer chunk comes in records of that
many bytes, each flagged `PIECE` (the extensions on the first), and a
record keeps at most that many decoded bytes (`CUT`, with the full size).
"""

from __future__ import annotations

from typing import AsyncIterator

from ..body import Body
from ..chunk_framing import Framing
from ..context import StreamContext
from ..decoding import kept
from ..record import Flag, Kind, Record
from ..request import StreamRequest
from ..wire_client import Piece


async def read(body: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    exchange, decoder, show_framing = body.exchange, body.decoder, request.framing
    assert exchange is not None, "wire mode reads with the wire-level client"
    ctx.mode_summary["framing"] = "chunked" if exchange.chunked else "none (Content-Length or close-delimited body)"
    flags = (Flag.FRAMED if exchange.chunked else Flag.UNFRAMED) | (Flag.DECODED if decoder else 0)
    seq, last, total, first = 0, 0.0, 0, None
    timing, chunk, cap = ctx.timing, Kind.CHUNK, request.max_value
    pending: list[bytes] = []
    pending_size = 0
    extensions: str | None = None
    split = False  # the chunk being read was already sent on in pieces
    t = 0.0

    def record(data: bytes, extra: int) -> Record:
        nonlocal seq, first, total, last
        gap = t - last
        shown, decoded = kept(decoder.feed(data), cap) if decoder else (data, len(data))  # data: at most cap
        made = Record(chunk, seq, t, gap, len(data), shown, extensions, flags | extra | timing.note(gap, seq))
        if decoded > len(shown):
            made.flags |= Flag.CUT
            made.full_size = decoded
        first = t if first is None else first
        seq += 1
        total += len(data)
        last = t
        return made

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
                    extensions, split = item.extensions, False
                pending.append(item.data)
                pending_size += len(item.data)
                while pending_size > cap or (pending_size == cap and not item.end):  # send on a piece
                    data = b"".join(pending)
                    pending, pending_size = [data[cap:]] if len(data) > cap else [], max(0, len(data) - cap)
                    yield record(data[:cap], Flag.PIECE)
                    extensions, split = None, True
                if not item.end:
                    continue
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                pending_size = 0
                if data or not split:
                    yield record(data, Flag.PIECE if split else 0)
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
