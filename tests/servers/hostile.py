"""A raw-socket server whose answers are generators: endless or huge input, made lazily as it is sent.

`ScriptServer` (raw.py) plays fixed byte scripts; a hostile server needs
more than fits in memory, so here each route is a function returning a fresh
iterator (or async iterator) of byte pieces for every request: the response
head, then `[` forever, or a zlib stream of zeros that never ends. Each
piece is written and drained, so the pace is the client's; the generator
stops when the client goes away (a reset or broken pipe ends the
connection quietly) or when the server stops. One request per connection.

The routes are the fixtures of issue 11, "nothing a server sends can
exhaust, crash or hijack explorer": deep and long JSON, an endless HTTP
chunk, deflate bombs, SSE lines and events that never end, a huge `retry`,
a header cap passed in the read that brought the head, and a reason phrase
carrying C1 controls and an escape sequence.
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from typing import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator

from .raw import ThreadedServer

Pieces = Iterable[bytes] | AsyncIterable[bytes]
Route = Callable[[], Pieces]

PIECE = 64 * 1024  # bytes per write of an endless body: big enough to be quick, small enough to stop at once
PAUSE = 0.05  # between the pieces of a paced route


class HostileServer(ThreadedServer):
    """Serve `routes` (generators of bytes) on 127.0.0.1 at a port the OS picks; use as a context manager.

    Stopping cancels what still plays at once: endless answers never finish by themselves.
    """

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        super().__init__()
        self.routes: dict[str, Route] = dict(HOSTILE_ROUTES if routes is None else routes)
        self.sent: dict[str, int] = {}  # bytes written per path, over all its connections

    @property
    def active(self) -> int:
        """Connections still being answered."""
        return len(self._tasks)

    async def _answer(self, head: bytes, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        path = target.split("?")[0]
        await self._play(path, self.routes.get(path, not_found)(), writer)

    async def _play(self, path: str, pieces: Pieces, writer: asyncio.StreamWriter) -> None:
        """Write every piece, draining each; close the generator however this ends."""
        if isinstance(pieces, AsyncIterable):
            iterator: AsyncIterator[bytes] = aiter(pieces)
            try:
                async for piece in iterator:
                    await self._write(path, piece, writer)
            finally:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
        else:
            sync = iter(pieces)
            try:
                for piece in sync:
                    await self._write(path, piece, writer)
            finally:
                close = getattr(sync, "close", None)
                if close is not None:
                    close()

    async def _write(self, path: str, piece: bytes, writer: asyncio.StreamWriter) -> None:
        if writer.is_closing():
            raise ConnectionResetError("the client went away")
        writer.write(piece)
        await writer.drain()  # raises ConnectionResetError once the client is gone
        self.sent[path] = self.sent.get(path, 0) + len(piece)
        await asyncio.sleep(0)  # drain does not yield while the client keeps up: let shutdown and others run


# Building blocks.

CLOSE = b"Connection: close\r\n"


def head(content_type: str, *extra: str, chunked: bool = False, status: bytes = b"200 OK") -> bytes:
    """A response head; without `chunked` the body is close-delimited (no Content-Length)."""
    lines = [b"HTTP/1.1 " + status, b"Content-Type: " + content_type.encode()]
    lines += [line.encode() for line in extra]
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    return b"\r\n".join(lines) + b"\r\n" + CLOSE + b"\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def endless(unit: bytes, size: int = PIECE) -> Iterator[bytes]:
    """`unit` repeated forever, in pieces of about `size` bytes."""
    piece = unit * max(1, size // len(unit))
    return itertools.repeat(piece)


def not_found() -> Iterator[bytes]:
    yield b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + CLOSE + b"\r\n"


# JSON: nesting, a string and a number that never end.

def deep_json() -> Iterator[bytes]:
    """`[` forever, each piece a chunk of the chunked body."""
    yield head("application/json", chunked=True)
    yield from map(chunk, endless(b"["))


def long_json_string() -> Iterator[bytes]:
    yield head("application/json")
    yield b'{"a": "'
    yield from endless(b"a")


def long_json_number() -> Iterator[bytes]:
    """A top-level number whose fraction never ends."""
    yield head("application/json")
    yield b"1."
    yield from endless(b"0123456789")


# One HTTP chunk that never ends (its size line promises about a terabyte).

def endless_chunk() -> Iterator[bytes]:
    yield head("application/octet-stream", chunked=True)
    yield b"ffffffffff\r\n"
    yield from endless(b"x")


# Deflate bombs: a run of one byte, compressed as it is sent.

BOMB_BYTE = b"a"  # not NUL: decoded pieces printed as JSONL stay one character per byte
BOMB_SIZE = 64 * 1024 * 1024  # the finite bombs' decoded size: 1024 times the tests' 64 KiB value cap
BLOCK = 1024 * 1024


def deflated(total: int | None, wbits: int = zlib.MAX_WBITS) -> Iterator[bytes]:
    """The zlib (or, with wbits=31, gzip) stream of `total` bomb bytes, or of endless ones when None.

    An endless stream repeats one full-flush block (a full flush empties the
    window, so the same input after it compresses to the same bytes): about
    1 KiB that decodes to 1 MiB, sent as fast as the client reads.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = BOMB_BYTE * BLOCK
    if total is None:
        first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        yield first
        yield from endless(again, PIECE)
        return
    left = total
    while left:
        size = min(left, BLOCK)
        out = compressor.compress(block[:size])
        if out:
            yield out
        left -= size
    yield compressor.flush()


def zlib_bomb() -> Iterator[bytes]:
    """64 MiB of decoded bytes from about 64 KiB of zlib, for `-m zlib`."""
    yield head("application/octet-stream")
    yield from deflated(BOMB_SIZE)


def zlib_bomb_endless() -> Iterator[bytes]:
    yield head("application/octet-stream")
    yield from deflated(None)


def gzip_bomb() -> Iterator[bytes]:
    """The same bomb as `Content-Encoding: gzip`, which every HTTP mode decodes, for `-m any`."""
    yield head("application/octet-stream", "Content-Encoding: gzip", chunked=True)
    yield from map(chunk, deflated(BOMB_SIZE // 2, wbits=31))
    yield b"0\r\n\r\n"


# SSE: a line without end, an event without end, a retry field too long for any number.

def sse_long_line() -> Iterator[bytes]:
    yield head("text/event-stream")
    yield b"data: "
    yield from endless(b"x")


def sse_endless_event() -> Iterator[bytes]:
    """`data: x` lines forever, never the blank line that would dispatch them."""
    yield head("text/event-stream")
    yield from endless(b"data: x\n")


async def sse_huge_retry() -> AsyncIterator[bytes]:
    """An event, a `retry` of 5000 digits, another event; paced, so each tends to come in its own read."""
    yield head("text/event-stream")
    yield b"data: first\n\n"
    await asyncio.sleep(PAUSE)
    yield b"retry: " + b"7" * 5000 + b"\n\n"
    await asyncio.sleep(PAUSE)
    yield b"data: second\n\n"


# A header cap passed in the same read as the head and a whole body: trailers without end.

FRAMED_HELLO = head("text/plain", chunked=True) + chunk(b"hello") + b"0\r\n"


def big_trailer() -> Iterator[bytes]:
    """One write: head, the body `hello`, the last chunk, then 1 MB of trailer lines."""
    line = b"X-Fill: " + b"f" * 990 + b"\r\n"
    yield FRAMED_HELLO + line * 1000 + b"\r\n"


def many_trailers() -> Iterator[bytes]:
    """One write: head, the body `hello`, the last chunk, then 10,000 small trailer fields."""
    yield FRAMED_HELLO + b"".join(b"X-T%d: v\r\n" % i for i in range(10_000)) + b"\r\n"


# A reason phrase that would move or retitle a terminal: C1 controls (NEL, CSI) and an OSC title.

HOSTILE_REASON = b"OK\x85\x9b\x1b]0;pwned\x07"


def c1_reason() -> Iterator[bytes]:
    yield (b"HTTP/1.1 200 " + HOSTILE_REASON + b"\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
           + CLOSE + b"\r\nhello\n")


HOSTILE_ROUTES: dict[str, Route] = {
    "/deep-json": deep_json,
    "/long-string": long_json_string,
    "/long-number": long_json_number,
    "/endless-chunk": endless_chunk,
    "/zlib-bomb": zlib_bomb,
    "/zlib-bomb-endless": zlib_bomb_endless,
    "/gzip-bomb": gzip_bomb,
    "/sse-long-line": sse_long_line,
    "/sse-endless-event": sse_endless_event,
    "/sse-huge-retry": sse_huge_retry,
    "/big-trailer": big_trailer,
    "/many-trailers": many_trailers,
    "/c1-reason": c1_reason,
}
