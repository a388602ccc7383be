"""The fast paths of lines and chunked mode against plain references, read by read.

Both modes build most records slot by slot instead of through `Record(...)`
and stamp every record of a read with the read's time. Here each piece is a
separate read (test_properties feeds one StreamReader, which joins them), so
CRs at read ends, lines joined across reads and the line cap at any point are
all reached; a record must equal, field by field, what the reference says.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from aiohttp import StreamReader
from aiohttp.base_protocol import BaseProtocol
from hypothesis import given
from hypothesis import strategies as st

from explorer.core.body import Body, BufferedReader
from explorer.core.context import StreamContext
from explorer.core.errors import StreamError
from explorer.core.modes import chunked as chunked_mode
from explorer.core.modes import lines as lines_mode
from explorer.core.record import Flag, Kind, Record
from explorer.core.request import StreamRequest

from .test_properties import cuts, split  # with them, the `ci` and `thorough` Hypothesis profiles

Expected = tuple[bytes, int, int, int]  # data, size, flags, index of the read it came from


def expected_lines(reads: list[bytes], cap: int) -> tuple[list[Expected], str | None]:
    """What lines mode gives for these reads: a line ends at LF, one CR before the LF goes with the ending
    (and counts in the size); a line whose size passes `cap`, or an unfinished line longer than `cap`
    at the end of a read, ends the stream after the lines before it."""
    out: list[Expected] = []
    partial = b""
    for index, data in enumerate(reads):
        *complete, partial_end = (partial + data).split(b"\n")
        for line in complete:
            if len(line) + 1 > cap:
                return out, "line_too_long"
            out.append((line[:-1] if line.endswith(b"\r") else line, len(line) + 1, 0, index))
        partial = partial_end  # empty when the read ended with its LF
        if len(partial) > cap:
            return out, "line_too_long"
    if partial:
        out.append((partial, len(partial), int(Flag.NO_NEWLINE), len(reads)))
    return out, None


def reads_of(pieces: list[bytes]) -> Callable[[], Awaitable[bytes]]:
    """A source that hands out one piece per read, then b""."""
    queue = list(pieces)

    async def read() -> bytes:
        return queue.pop(0) if queue else b""

    return read


async def run_mode(read: Any, content: Any, **options: Any) -> tuple[list[Record], str | None, StreamContext]:
    ctx = StreamContext()
    out, error = [], None
    try:
        async for record in read(Body(content), ctx, StreamRequest("http://x/", **options)):
            out.append(record)
    except StreamError as exc:
        error = exc.type
    return out, error, ctx


def assert_whole_records(records: list[Record], kind: Kind) -> None:
    """Every slot set as `Record(...)` sets it, seqs from 0, and the records of one read share its stamp."""
    for seq, record in enumerate(records):
        assert record.kind is kind and record.seq == seq
        assert record.value is None and record.full_size is None and isinstance(record.flags, int)
        for name in Record.__slots__:
            getattr(record, name)  # none left unset
    for before, record in zip(records, records[1:]):
        assert record.t >= before.t
        if record.t == before.t:
            assert record.gap == 0.0 and not record.flags & Flag.STALL


alphabet = st.lists(st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\r\n", b"\n\n"]), max_size=60).map(b"".join)


@given(alphabet, cuts, st.integers(min_value=1, max_value=12))
def test_lines_read_by_read_equal_the_reference(data: bytes, offsets: list[int], cap: int) -> None:
    reads = split(data, offsets)
    records, error, ctx = asyncio.run(run_mode(lines_mode.read, BufferedReader(reads_of(reads)), max_line=cap))
    expected, expected_error = expected_lines(reads, cap)
    assert error == expected_error
    assert [(r.data, r.size, r.flags) for r in records] == [(d, s, f) for d, s, f, _ in expected]
    assert_whole_records(records, Kind.LINE)
    # the same read, the same stamp; another read, another stamp
    same = [a[3] == b[3] for a, b in zip(expected, expected[1:])]
    assert [a.t == b.t for a, b in zip(records, records[1:])] == same
    assert ctx.records == len(records)
    assert ctx.bytes == sum(map(len, reads)) or error is not None


def test_lines_cr_at_a_read_end_and_lf_at_the_next_start() -> None:
    reads = [b"one\r", b"\ntwo\r\nthr", b"ee\r", b"\r\n", b"a\rb\n\r", b"\n"]
    records, error, _ = asyncio.run(run_mode(lines_mode.read, BufferedReader(reads_of(reads)), max_line=64))
    assert error is None
    assert [(r.data, r.size) for r in records] == [(b"one", 5), (b"two", 5), (b"three\r", 8), (b"a\rb", 4), (b"", 2)]


def test_lines_cap_ends_the_stream_after_the_lines_that_fit() -> None:
    reads = [b"ok\n" * 3 + b"x" * 10 + b"\nnot seen\n"]
    records, error, ctx = asyncio.run(run_mode(lines_mode.read, BufferedReader(reads_of(reads)), max_line=10))
    assert error == "line_too_long" and [r.data for r in records] == [b"ok"] * 3 and ctx.records == 3


class FedReader(StreamReader):
    """aiohttp's StreamReader, fed the next piece each time a reader waits: one piece per socket read."""

    def __init__(self, pieces: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        super().__init__(BaseProtocol(loop), 2**16, loop=loop)
        self._pieces = list(pieces)

    async def _wait(self, func_name: str) -> None:
        if self._pieces:
            self.feed_data(self._pieces.pop(0))
        else:
            self.feed_eof()


async def iter_chunked_pieces(pieces: list[bytes], n: int) -> list[bytes]:
    return [piece async for piece in FedReader(pieces).iter_chunked(n)]


async def chunked_records(pieces: list[bytes], n: int) -> tuple[list[Record], str | None, StreamContext]:
    return await run_mode(chunked_mode.read, FedReader(pieces), chunk_size=n)


@given(st.binary(max_size=3000), cuts, st.sampled_from([1, 7, 64, 1024]))
def test_chunked_gives_the_pieces_of_iter_chunked(data: bytes, offsets: list[int], n: int) -> None:
    pieces = split(data, offsets)
    records, error, ctx = asyncio.run(chunked_records(pieces, n))
    assert error is None
    assert [r.data for r in records] == asyncio.run(iter_chunked_pieces(pieces, n))
    assert [r.size for r in records] == [len(r.data or b"") for r in records]
    assert_whole_records(records, Kind.CHUNK)
    assert ctx.records == len(records) and ctx.bytes == len(data)


def test_chunked_pieces_of_a_read_share_its_stamp_and_the_gaps_count() -> None:
    records, _, ctx = asyncio.run(chunked_records([b"x" * 2500, b"y" * 100], 1024))
    assert [r.size for r in records] == [1024, 1024, 452, 100]
    assert records[0].t == records[1].t == records[2].t < records[3].t
    assert records[1].gap == records[2].gap == 0.0 and records[3].gap == records[3].t - records[0].t
    assert ctx.timing.summary(ctx.records).gap_count == 3  # the two zeros counted from the record index
