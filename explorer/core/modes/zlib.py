"""zlib: `decompressobj` over the raw bytes, with compressed and decoded sizes per read.

A body whose Content-Encoding says br or zstd (or that starts with a zstd
frame) is decoded with that coding's decoder from `decoding.py` instead.

Handles one compressed stream split anywhere, a series of independent members
(one `zlib.compress` per write, as in the tutorial), gzip and raw deflate:
`zlib.decompress` per read would fail on a split member and silently drop the
second of two merged ones, so each member gets its own decompressor, restarted
on `unused_data` after `eof`.
"""

from __future__ import annotations

import asyncio
import zlib
from time import perf_counter
from typing import AsyncIterator, Iterator

from ..body import Body
from ..context import StreamContext
from ..decoding import PIECE, ZSTD_MAGIC, Decoder, Zstd
from ..errors import StreamError
from ..record import Flag, Kind, Record
from ..request import StreamRequest

AUTO_ZLIB_OR_GZIP = 47  # 32 + 15: detect a zlib or gzip header
RAW_DEFLATE = -15


def _wbits_for(header: bytes) -> int:
    if header[:2] == b"\x1f\x8b":
        return AUTO_ZLIB_OR_GZIP
    if header[0] & 0x0F == 8 and header[0] >> 4 <= 7 and (header[0] << 8 | header[1]) % 31 == 0:
        return AUTO_ZLIB_OR_GZIP
    return RAW_DEFLATE


class MemberDecoder:
    """Decode concatenated zlib/gzip/raw-deflate members fed in arbitrary pieces.

    `feed(data)` is a generator of decoded pieces of at most `PIECE` bytes
    (bounded like `decoding.py`); consume it to the end before feeding more.
    """

    def __init__(self) -> None:
        self._decoder: zlib._Decompress | None = None
        self._carry = b""
        self._head = b""  # a member's bytes until it decodes: a raw deflate stream can look like zlib
        self._guessed = False
        self.members = 0
        self.fed = 0

    @property
    def mid_member(self) -> bool:
        return self._decoder is not None or bool(self._carry)

    def feed(self, data: bytes) -> Iterator[bytes]:
        start = self.fed
        self.fed += len(data)
        data = self._carry + data if self._carry else data
        self._carry = b""
        while data:
            if self._decoder is None:
                if len(data) < 2:
                    self._carry = data
                    break
                wbits = _wbits_for(data)
                self._decoder = zlib.decompressobj(wbits)
                self._guessed = wbits == AUTO_ZLIB_OR_GZIP and data[:2] != b"\x1f\x8b"
                self._head = b""
            try:
                if self._guessed:
                    self._head += data
                decoded = self._decoder.decompress(data, PIECE)
                while len(decoded) == PIECE and not self._decoder.unconsumed_tail and not self._decoder.eof:
                    self._guessed, self._head = False, b""
                    yield decoded  # zlib may hold more output: let it out a piece at a time
                    decoded = self._decoder.decompress(b"", PIECE)
            except zlib.error as error:
                if self._guessed:  # it only looked like a zlib header: decode the member again as raw deflate
                    data, self._guessed = self._head, False
                    self._decoder = zlib.decompressobj(RAW_DEFLATE)
                    continue
                self._head = b""
                raise StreamError(
                    "invalid_zlib",
                    f"Invalid compressed data in member {self.members + 1}, "
                    f"in the read starting at byte {start}: {error}.",
                ) from None
            if decoded:
                self._guessed, self._head = False, b""
                yield decoded
            if self._decoder.eof:
                data = self._decoder.unused_data
                self._decoder = None
                self._guessed, self._head = False, b""
                self.members += 1
            else:
                data = self._decoder.unconsumed_tail


async def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    t0, seq, last, total, first, cap = ctx.t0, 0, 0.0, 0, None, request.max_value
    timing, chunk = ctx.timing, Kind.CHUNK
    decoder: MemberDecoder | Decoder = MemberDecoder()
    if resp.decoder is not None and set(resp.decoder.names) - {"gzip", "x-gzip", "deflate"}:
        decoder = resp.decoder  # br or zstd named by Content-Encoding: its own decoder
    readany = resp.content.readany
    try:
        while data := await readany():
            t = perf_counter() - t0
            gap = t - last
            first = t if first is None else first
            total += len(data)
            seq += 1
            flags = Flag.DECODED | timing.note(gap, seq - 1)
            if seq == 1 and isinstance(decoder, MemberDecoder) and data.startswith(ZSTD_MAGIC):
                decoder = Decoder([Zstd()])  # zstd frames without a Content-Encoding saying so
            held: list[bytes] = []  # at most `cap` decoded bytes of this read; the rest is counted
            decoded = 0
            try:
                for piece in decoder.feed(data):
                    if decoded < cap:
                        held.append(piece[:cap - decoded])
                    decoded += len(piece)
                    if decoded > cap:  # a bomb: give the loop a turn per piece, and stop at max time
                        await asyncio.sleep(0)
                        if ctx.expired:
                            break
            except StreamError:
                yield Record(chunk, seq - 1, t, gap, len(data), b"".join(held), None, flags | Flag.UNDECODED)
                raise
            record = Record(chunk, seq - 1, t, gap, len(data), b"".join(held), None, flags)
            if decoded > cap:
                record.flags |= Flag.CUT
                record.full_size = decoded
            yield record
            last = t
    finally:
        ctx.tally(seq, total, first, last)
    if not isinstance(decoder, MemberDecoder):
        decoder.finish()
        return
    ctx.mode_summary["members"] = decoder.members
    if decoder.mid_member:
        raise StreamError("invalid_zlib", f"The compressed stream ended in the middle of member {decoder.members + 1}.")
