"""Property tests: the same bytes split anywhere give the same records; arbitrary bytes never escape as exceptions.

CI runs a fixed seed and a bounded number of examples (the `ci` profile); a
longer local run: `HYPOTHESIS_PROFILE=thorough python3 -m pytest tests/test_properties.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import zlib
from typing import Any

import ijson
from aiohttp import StreamReader
from aiohttp.base_protocol import BaseProtocol
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.context import StreamContext
from explorer.core.errors import StreamError
from explorer.core.modes import json as json_mode
from explorer.core.modes import lines as lines_mode
from explorer.core.modes.sse import SSEParser
from explorer.core.modes.zlib import MemberDecoder
from explorer.core.request import StreamRequest
from explorer.core.sanitize import sanitize

settings.register_profile("ci", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (any order, duplicates allowed)."""
    points = sorted({c % (len(data) + 1) for c in cuts}) if data else []
    pieces, last = [], 0
    for point in points + [len(data)]:
        pieces.append(data[last:point])
        last = point
    return [p for p in pieces if p]


class BodyOnly:
    """What a read mode touches of a ClientResponse: its real StreamReader, fed the pieces."""

    def __init__(self, pieces: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        self.content = StreamReader(BaseProtocol(loop), 2**16, loop=loop)
        for piece in pieces:
            self.content.feed_data(piece)
        self.content.feed_eof()


async def records_of(read: Any, pieces: list[bytes], **options: Any) -> tuple[list, str | None]:
    """(records, error type) from running a real mode over a real StreamReader holding `pieces`."""
    out, error = [], None
    try:
        async for record in read(BodyOnly(pieces), StreamContext(), StreamRequest("http://x/", **options)):
            out.append(record)
    except StreamError as exc:
        error = exc.type
    return out, error


def run(coro: Any) -> Any:
    return asyncio.run(coro)


cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)


@given(st.binary(max_size=400), cuts)
def test_lines_split_anywhere(data: bytes, offsets: list[int]) -> None:
    whole, whole_error = run(records_of(lines_mode.read, [data] if data else [], max_line=64))
    parts, parts_error = run(records_of(lines_mode.read, split(data, offsets), max_line=64))
    assert whole_error == parts_error
    if whole_error is None:
        assert [(r.data, r.size) for r in whole] == [(r.data, r.size) for r in parts]
        ends = {0: b"", 1: b"\n", 2: b"\r\n"}
        assert b"".join(r.data + ends[r.size - len(r.data)] for r in whole) == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(json_values, min_size=1, max_size=4), cuts)
def test_json_events_equal_a_whole_document_parse(documents: list, offsets: list[int]) -> None:
    data = "\n".join(json.dumps(d) for d in documents).encode()
    expected = list(ijson.parse(data, multiple_values=True))
    records, error = run(records_of(json_mode.read, split(data, offsets)))
    assert error is None
    assert [e for r in records if r.kind == "event" for e in r.events] == expected


@given(st.binary(max_size=300), cuts)
def test_json_arbitrary_bytes_end_in_an_error_record_at_worst(data: bytes, offsets: list[int]) -> None:
    records, error = run(records_of(json_mode.read, split(data, offsets)))
    assert error in (None, "invalid_json")
    assert sum(r.size for r in records if r.kind == "chunk") <= len(data)


sse_lines = st.lists(st.sampled_from([
    "data: a", "data:b", "data", "event: x", "id: 1", "id", "retry: 10", "retry: x", ": c", "", "data: é",
    "field", "data:  two spaces",
]), max_size=20)


@given(sse_lines, st.sampled_from(["\n", "\r\n", "\r"]), cuts)
def test_sse_split_anywhere(lines: list[str], ending: str, offsets: list[int]) -> None:
    data = (ending.join(lines) + ending).encode()

    def events(pieces: list[bytes]) -> list:
        parser = SSEParser()
        out = [e for piece in pieces for e in parser.feed(piece)]
        return out + parser.feed(b"", final=True)

    assert events([data]) == events(split(data, offsets)) == events([bytes([b]) for b in data])


@given(st.binary(max_size=300), cuts)
def test_sse_never_raises(data: bytes, offsets: list[int]) -> None:
    parser = SSEParser()
    for piece in split(data, offsets):
        parser.feed(piece)
    parser.feed(b"", final=True)


@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4), st.sampled_from(["zlib", "gzip", "raw"]), cuts)
def test_zlib_members_split_anywhere(members: list[bytes], form: str, offsets: list[int]) -> None:
    def pack(body: bytes) -> bytes:
        wbits = {"zlib": 15, "gzip": 31, "raw": -15}[form]
        packer = zlib.compressobj(wbits=wbits)
        return packer.compress(body) + packer.flush()

    if form == "raw":
        members = [b"".join(members)]  # raw deflate has no header to find the next member by
    data = b"".join(pack(m) for m in members)
    decoder = MemberDecoder()
    assert b"".join(b"".join(decoder.feed(p)) for p in split(data, offsets)) == b"".join(members)
    assert not decoder.mid_member


@given(st.binary(max_size=300), cuts)
def test_zlib_arbitrary_bytes_raise_only_stream_errors(data: bytes, offsets: list[int]) -> None:
    decoder = MemberDecoder()
    try:
        for piece in split(data, offsets):
            list(decoder.feed(piece))
    except StreamError as error:
        assert error.type == "invalid_zlib"


FORBIDDEN = {*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
             *range(0x2066, 0x206A), 0x2028, 0x2029, 0xFEFF}


@given(st.binary(max_size=500) | st.text(max_size=300), st.integers(min_value=1, max_value=120))
def test_sanitizer_leaves_nothing_a_terminal_would_act_on(data: bytes | str, limit: int) -> None:
    text = sanitize(data, limit)
    assert not {ord(ch) for ch in text} & FORBIDDEN
    assert len(text) <= limit * 6 + 1  # stand-ins such as \\u202e are longer than what they replace


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=6), cuts)
def test_wire_reassembles_http_chunks_however_the_bytes_arrive(chunks: list[bytes], offsets: list[int]) -> None:
    """Real chunked bytes from a raw server, cut into separately sent pieces."""
    from .rawserver import RawServer, chunked_response

    raw = b"".join(chunked_response(*chunks))
    head_end = raw.index(b"\r\n\r\n") + 4
    script: list = [raw[:head_end]]
    for piece in split(raw[head_end:], offsets):
        script += [piece, ("sleep", 0.002)]
    with RawServer(script) as server:
        records = run(_collect(StreamRequest(server.url, mode="wire")))
    assert records[-1].kind == "end"
    assert [r.data for r in records if r.kind == "chunk"] == chunks


async def _collect(request: StreamRequest) -> list:
    from explorer.core import open_stream

    return [record async for record in open_stream(request)]
