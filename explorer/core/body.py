"""What an HTTP mode reads: the body's bytes through one small reader interface, decoded or as sent.

Both clients (aiohttp's, and the wire-level h11 one) hand the modes a
`Body`. Its `content` answers `readany()`, `read(n)` and `read_nowait(n)`
like aiohttp's StreamReader (which it is, for an unencoded body on aiohttp),
so a mode's hot loop is the same whichever client read the bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, Iterator, Protocol

from .decoding import Decoder

if TYPE_CHECKING:
    from .wire_client import WireExchange


class ByteReader(Protocol):
    """The reads a mode makes (aiohttp's StreamReader has them all)."""

    async def readany(self) -> bytes: ...

    async def read(self, n: int = -1) -> bytes: ...

    def read_nowait(self, n: int = -1) -> bytes: ...


class BufferedReader:
    """`read(n)` and `read_nowait(n)` over a source that only has `readany()`-style reads."""

    def __init__(self, source: Callable[[], Awaitable[bytes]]) -> None:
        self._source = source
        self._buffer = b""
        self._pos = 0

    async def readany(self) -> bytes:
        if self._pos < len(self._buffer):
            return self.read_nowait()
        return await self._source()

    def read_nowait(self, n: int = -1) -> bytes:
        start, size = self._pos, len(self._buffer)
        if start >= size:
            return b""
        stop = size if n < 0 else min(size, start + n)
        data = self._buffer if start == 0 and stop == size else self._buffer[start:stop]
        if stop == size:
            self._buffer, self._pos = b"", 0
        else:
            self._pos = stop
        return data

    async def read(self, n: int = -1) -> bytes:
        if self._pos >= len(self._buffer):
            data = await self._source()
            if n < 0 or len(data) <= n:
                return data
            self._buffer, self._pos = data, 0
        return self.read_nowait(n)


class DecodingReader(BufferedReader):
    """The decoded body: each read of the source, undone by `decoder`; reads that decode to nothing are skipped."""

    def __init__(self, source: ByteReader, decoder: Decoder, expired: Callable[[], bool] = lambda: False) -> None:
        super().__init__(self._decoded)
        self._raw = source.readany
        self._decoder = decoder
        self._expired = expired
        self._pieces: Iterator[bytes] | None = None  # what the last read decodes to, piece by piece
        self._ended = False

    async def _decoded(self) -> bytes:
        """The next decoded piece: a read decodes lazily, so a bomb is held one piece at a time.

        Between the pieces of one read the loop gets a turn, so max time can end
        a read that decodes to gigabytes; after it, the rest is not decoded.
        """
        while True:
            if self._pieces is not None:
                await asyncio.sleep(0)
                piece = b"" if self._expired() else next(self._pieces, b"")
                if piece:
                    return piece
                self._pieces = None
            if self._ended:
                return b""
            data = await self._raw()
            if not data:
                self._ended = True
                return self._decoder.finish()
            self._pieces = self._decoder.feed(data)
            piece = next(self._pieces, b"")  # the first piece of a read needs no turn of the loop
            if piece:
                return piece
            self._pieces = None


@dataclass
class Body:
    """A response body for a mode: `content` (decoded unless the mode reads bytes as sent), the headers,
    the decoder for modes that decode themselves, and the wire exchange when the h11 client read it."""

    content: ByteReader
    headers: dict[str, str] = field(default_factory=dict)
    decoder: Decoder | None = None
    exchange: WireExchange | None = None

