"""Content-Encoding (and Transfer-Encoding codings) decoded incrementally, for every HTTP mode.

explorer reads bodies as sent (aiohttp's `auto_decompress` is off, and the
wire client never decodes) and decodes here, so every mode decodes the same
way: stacked codings (`gzip, gzip`), `Transfer-Encoding: gzip, chunked`, br
and zstd (the packages of aiohttp's `speedups` extra), and a corrupt body
named by its coding. Codings are listed in the order they were applied, so
they are undone last first.

Decoding is bounded: every step hands out its output in pieces of at most
`PIECE` bytes (zlib's `max_length` with `unconsumed_tail`, brotli's
`output_buffer_limit`, zstd's `max_length`), lazily, so a decompression
bomb never sits in memory whole: a consumer holds one piece per step.
"""

from __future__ import annotations

import zlib
from typing import Callable, Iterable, Iterator, Mapping

from .errors import StreamError
from .headers import header_values

GZIP = 31  # wbits for a gzip header
ZLIB_OR_GZIP = 47  # wbits that detect a zlib or gzip header
RAW_DEFLATE = -15
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PIECE = 256 * 1024  # most bytes one decompress call may make


class Step:
    """Undo one coding, fed in arbitrary pieces; `finish()` checks the coded stream was complete.

    `feed(data)` is a generator of decoded pieces of at most `PIECE` bytes;
    consume it to the end before feeding more.
    """

    name = "identity"

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def finish(self) -> bytes:
        return b""


class Deflate(Step):
    """gzip or deflate, with concatenated members (a gzip body may hold several)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._wbits = GZIP if name in ("gzip", "x-gzip") else ZLIB_OR_GZIP
        self._decoder: zlib._Decompress | None = None
        self._started = False  # deflate: a raw deflate stream is retried once with raw wbits
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._decoder is None:
                self._decoder = zlib.decompressobj(self._wbits)
            try:
                decoded = self._decoder.decompress(data, PIECE)
            except zlib.error as error:
                if self.name == "deflate" and not self._started and self._wbits == ZLIB_OR_GZIP:
                    # many servers send raw deflate for "deflate": decode it as such
                    self._wbits, self._decoder = RAW_DEFLATE, None
                    data = self._head + data
                    continue
                raise corrupt(self.name, str(error)) from None
            if not self._started:
                self._head += data  # nothing decoded yet, so all of it was taken
                self._started = bool(decoded) or self._decoder.eof
            if decoded:
                yield decoded
            if self._decoder.eof:
                data = self._decoder.unused_data
                self._decoder, self._started, self._head = None, False, b""
            else:  # past the piece size: the input left over, or b"" to let out what zlib still holds
                data = self._decoder.unconsumed_tail
                while not data and len(decoded) == PIECE and not self._decoder.eof:
                    decoded = self._decoder.decompress(b"", PIECE)
                    if decoded:
                        yield decoded
                    data = self._decoder.unconsumed_tail
                if self._decoder.eof:
                    data = self._decoder.unused_data
                    self._decoder, self._started, self._head = None, False, b""

    def finish(self) -> bytes:
        if self._decoder is not None:
            raise corrupt(self.name, "the body ended in the middle of the compressed stream")
        return b""


class Brotli(Step):
    name = "br"

    def __init__(self) -> None:
        import brotli

        self._decoder = brotli.Decompressor()
        self._error = brotli.error
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._fed = self._fed or bool(data)
        try:
            out = self._decoder.process(data, output_buffer_limit=PIECE)
            if out:
                yield out
            while not self._decoder.can_accept_more_data():
                out = self._decoder.process(b"", output_buffer_limit=PIECE)
                if not out:
                    break
                yield out
        except self._error as error:
            raise corrupt(self.name, str(error) or "invalid data") from None

    def finish(self) -> bytes:
        if self._fed and not self._decoder.is_finished():
            raise corrupt(self.name, "the body ended in the middle of the compressed stream")
        return b""


class Zstd(Step):
    name = "zstd"

    def __init__(self) -> None:
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
        except ImportError:
            from backports import zstd
        self._module = zstd
        self._decoder = zstd.ZstdDecompressor()
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._fed = self._fed or bool(data)
        try:
            more = bool(data)
            while more:
                if self._decoder.eof:  # a new frame follows the finished one
                    self._decoder = self._module.ZstdDecompressor()
                out = self._decoder.decompress(data, PIECE)
                if out:
                    yield out
                if self._decoder.eof:
                    data = self._decoder.unused_data
                    more = bool(data)
                else:  # more output waits when the piece size stopped it
                    data, more = b"", not self._decoder.needs_input
        except self._module.ZstdError as error:
            raise corrupt(self.name, str(error)) from None

    def finish(self) -> bytes:
        if self._fed and not self._decoder.eof:
            raise corrupt(self.name, "the body ended in the middle of the compressed stream")
        return b""


STEPS: dict[str, Callable[[], Step]] = {
    "gzip": lambda: Deflate("gzip"),
    "x-gzip": lambda: Deflate("x-gzip"),
    "deflate": lambda: Deflate("deflate"),
    "br": Brotli,
    "zstd": Zstd,
}
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


def corrupt(name: str, reason: str) -> StreamError:
    reason = " ".join(reason.split()).rstrip(".") or "invalid data"
    if reason.startswith("Error -3 while decompressing data: "):
        reason = reason.removeprefix("Error -3 while decompressing data: ")
    return StreamError("bad_encoding", f"The {name}-encoded body is corrupt: {reason}.")


class Decoder:
    """Undo a list of codings, fed the body in pieces."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.names = tuple(step.name for step in reversed(steps))  # as listed in the headers

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of `data` (each at most `PIECE` bytes), made as they are taken."""
        pieces: Iterable[bytes] = (data,)
        for step in self.steps:
            pieces = _through(step, pieces)
        return iter(pieces)

    def finish(self) -> bytes:
        """Whatever the steps still hold; raises if a coded stream was cut short."""
        out = b""
        for step in self.steps:
            if out:
                out = b"".join(step.feed(out))
            out += step.finish()
        return out


def _through(step: Step, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        if piece:
            yield from step.feed(piece)


def kept(pieces: Iterable[bytes], cap: int) -> tuple[bytes, int]:
    """At most `cap` bytes of `pieces` (decoding them all), and the size of all of them."""
    held: list[bytes] = []
    room = cap
    total = 0
    for piece in pieces:
        total += len(piece)
        if room > 0:
            held.append(piece[:room] if len(piece) > room else piece)
            room -= len(held[-1])
    return (held[0] if len(held) == 1 else b"".join(held)), total


def codings(headers: Mapping[str, str]) -> list[str]:
    """The codings applied to the body, in order: Transfer-Encoding's (but chunked), then Content-Encoding's."""
    listed: list[str] = []
    for name in ("Transfer-Encoding", "Content-Encoding"):
        for value in header_values(headers.items(), name):
            listed += [c.strip().lower() for c in value.split(",") if c.strip()]
    return [c for c in listed if c not in ("chunked", "identity")]


def decoder_for(headers: Mapping[str, str]) -> Decoder | None:
    """A decoder for the response's codings, None when there is nothing to decode.

    A coding explorer does not know is a clear error rather than bytes passed off as decoded.
    """
    applied = codings(headers)
    if not applied:
        return None
    unknown = [c for c in applied if c not in STEPS]
    if unknown:
        raise StreamError("bad_encoding", f"The body is encoded with {unknown[0][:40]!s}, which explorer cannot "
                                          "decode: read it with --raw to see the bytes as sent.")
    return Decoder([STEPS[c]() for c in reversed(applied)])
