"""Every incremental parser holds state bounded by its caps, not by how much it was fed.

Each parser is fed N bytes of generated hostile input (a short unit of
brackets, quotes, digits, escapes, line ends and field names, repeated)
that is many times its caps, piece by piece, until it ends with an error or
the input runs out. tracemalloc measures the peak of what was allocated
while feeding (the pieces themselves included) and the test holds it under
a bound written in terms of the caps. Nothing here is timed.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from typing import Callable, Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.body import Body, BufferedReader
from explorer.core.chunk_framing import ChunkFraming
from explorer.core.context import StreamContext
from explorer.core.decoding import PIECE, Decoder, Deflate
from explorer.core.errors import StreamError
from explorer.core.modes import json as json_mode
from explorer.core.modes import lines as lines_mode
from explorer.core.modes.sse import SSEParser
from explorer.core.modes.zlib import MemberDecoder
from explorer.core.request import StreamRequest
from explorer.core.timing import TimingStage

FED = 512 * 1024  # bytes fed to each parser: 128 times the caps below
CAP = 4096
DEPTH = 32
READ = 4096  # one read's size
SLACK = 256 * 1024  # what any run allocates whatever it is fed: the current read, a batch of records, small objects
EVENTS = 96 * READ  # one read's ijson events, held as one batch: at most one per byte, a tuple each

FRAGMENTS = [b"[", b"{", b"]", b"}", b'"', b"a", b"7", b".", b"\\", b"\\u", b"d8", b",", b":", b" ",
             b"\n", b"\r", b"\r\n", b"data:", b"data: x", b"event:", b"retry:", b"id:", b":", b"ff", b";"]
units = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map(b"".join)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pieces(unit: bytes, total: int = FED, size: int = READ) -> Iterator[bytes]:
    """`unit` repeated to `total` bytes, handed out a read at a time (made lazily: the input is not held)."""
    block = unit * (size // len(unit) + 2)
    offset = 0
    for _ in range(total // size):
        start = offset % len(unit)
        yield block[start:start + size]
        offset += size


def peak_while(feed: Callable[[], None]) -> int:
    """The peak of memory allocated while `feed` runs, above what was allocated before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        feed()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@SETTINGS
@given(units)
def test_sse_parser_holds_at_most_a_line_and_an_event(unit: bytes) -> None:
    def feed() -> None:
        parser = SSEParser(max_line=CAP, max_value=CAP)
        for piece in pieces(unit):
            parser.feed(piece)
            if parser.problem is not None:
                return

    assert peak_while(feed) < 4 * CAP + SLACK


def run_mode(read: Callable[..., object], unit: bytes, request: StreamRequest) -> None:
    """Run an HTTP mode over the generated reads, dropping its records as they come."""
    source = pieces(unit)

    async def next_read() -> bytes:
        return next(source, b"")

    async def consume() -> None:
        ctx = StreamContext(None, TimingStage())
        try:
            async for _ in read(Body(BufferedReader(next_read)), ctx, request):  # type: ignore[attr-defined]
                pass
        except StreamError:
            pass

    asyncio.run(consume())


@SETTINGS
@given(units)
def test_json_mode_holds_at_most_a_value_and_the_nesting(unit: bytes) -> None:
    request = StreamRequest("http://127.0.0.1/", mode="json", max_value=CAP, max_depth=DEPTH)
    # ijson holds the value it is in (and a prefix per level); one read's events are a batch
    assert peak_while(lambda: run_mode(json_mode.read, unit, request)) < 8 * CAP + 64 * DEPTH * DEPTH + EVENTS + SLACK


@SETTINGS
@given(units)
def test_json_mode_on_endless_openers(unit: bytes) -> None:
    request = StreamRequest("http://127.0.0.1/", mode="json", max_value=CAP, max_depth=DEPTH)
    opener = b"[" * len(unit) if unit.count(b"{") < unit.count(b"[") else b'{"k":' * len(unit)
    assert peak_while(lambda: run_mode(json_mode.read, opener, request)) < 8 * CAP + 64 * DEPTH * DEPTH + EVENTS + SLACK


@SETTINGS
@given(units)
def test_lines_mode_holds_at_most_a_line(unit: bytes) -> None:
    request = StreamRequest("http://127.0.0.1/", mode="lines", max_line=CAP)
    assert peak_while(lambda: run_mode(lines_mode.read, unit, request)) < 4 * CAP + SLACK


@SETTINGS
@given(units)
def test_chunk_framing_holds_at_most_a_line(unit: bytes) -> None:
    def feed() -> None:
        framing = ChunkFraming(max_line=CAP)
        try:
            for piece in pieces(unit.replace(b"\n", b"") or b"f"):  # a size line that never ends
                framing.feed(piece)
        except StreamError:
            pass

    assert peak_while(feed) < 4 * CAP + SLACK


def bomb(size: int, wrap: Callable[[bytes], bytes]) -> bytes:
    """`size` zero bytes, compressed (about a thousandth of that on the wire)."""
    return wrap(bytes(size))


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


def test_decoders_hand_out_a_bomb_a_piece_at_a_time() -> None:
    """64 MiB of zeros decode in pieces of at most PIECE bytes, held one at a time."""
    for name, data in (("gzip", bomb(64 << 20, gzip.compress)), ("deflate", bomb(64 << 20, zlib.compress)),
                       ("raw deflate", bomb(64 << 20, raw_deflate))):
        coding = "deflate" if name != "gzip" else "gzip"
        for decoder in (Decoder([Deflate(coding)]), MemberDecoder()):
            sizes: list[int] = []
            peak = peak_while(lambda: decode_in_reads(decoder, data, sizes))  # noqa: B023 (called at once)
            assert peak < 4 * PIECE + SLACK, (name, decoder)
            assert sum(sizes) == 64 << 20 and max(sizes) <= PIECE, name


def decode_in_reads(decoder: Decoder | MemberDecoder, data: bytes, sizes: list[int]) -> None:
    """Feed `data` in 64 KiB reads, noting the size of every decoded piece (and dropping it)."""
    for start in range(0, len(data), 64 * 1024):
        sizes.extend(len(piece) for piece in decoder.feed(data[start:start + 64 * 1024]))
