"""The incremental parsers, fed the same bytes whole and split at every boundary."""

from __future__ import annotations

import gzip
import zlib

import pytest

from explorer.core.errors import StreamError
from explorer.core.modes.sse import SSEParser
from explorer.core.modes.zlib import MemberDecoder
from explorer.core.record import SSEEvent

SSE_STREAM = (
    "\ufeff: comment\r\n"
    "retry: 2500\r\n"
    "id: 7\r\n"
    "event: greet\r\n"
    "data: héllo\r\n"
    "data:wörld\r\n"
    "\r\n"
    "data: lone cr\r\r"
    "id\n"
    "data: after id reset\n\n"
    "retry: soon\n"
    "data: unfinished"
).encode()


def sse_events(pieces: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    events += parser.feed(b"", final=True)
    return events


EXPECTED_SSE = [
    SSEEvent("greet", "héllo\nwörld", "7", 2500),
    SSEEvent("message", "lone cr", "7", 2500),
    SSEEvent("message", "after id reset", "", 2500),
]


def test_sse_whole() -> None:
    assert sse_events([SSE_STREAM]) == EXPECTED_SSE


@pytest.mark.parametrize("cut", range(1, len(SSE_STREAM)))
def test_sse_split_anywhere(cut: int) -> None:
    assert sse_events([SSE_STREAM[:cut], SSE_STREAM[cut:]]) == EXPECTED_SSE


def test_sse_byte_by_byte() -> None:
    assert sse_events([bytes([b]) for b in SSE_STREAM]) == EXPECTED_SSE


def decode_all(pieces: list[bytes]) -> bytes:
    decoder = MemberDecoder()
    out = b"".join(b"".join(decoder.feed(p)) for p in pieces)
    assert not decoder.mid_member
    return out


TEXT = b"The quick brown fox jumps over the lazy dog. " * 20
RAW = zlib.compressobj(wbits=-15)
RAW_DEFLATE = RAW.compress(TEXT) + RAW.flush()
FORMS = {
    "zlib": zlib.compress(TEXT),
    "gzip": gzip.compress(TEXT),
    "raw deflate": RAW_DEFLATE,
    "members": zlib.compress(TEXT[:100]) + zlib.compress(TEXT[100:]),
    "gzip members": gzip.compress(TEXT[:7]) + gzip.compress(TEXT[7:]),
}


@pytest.mark.parametrize("form", FORMS)
def test_zlib_forms_split_at_every_boundary(form: str) -> None:
    data = FORMS[form]
    for cut in range(0, len(data), 3):
        assert decode_all([data[:cut], data[cut:]]) == TEXT
    assert decode_all([bytes([b]) for b in data]) == TEXT


def test_zlib_garbage_raises_stream_error() -> None:
    decoder = MemberDecoder()
    with pytest.raises(StreamError) as caught:
        list(decoder.feed(b"\x78\x9cnot deflate at all"))
    assert caught.value.type == "invalid_zlib"
