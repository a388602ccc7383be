"""Content-Encoding (and Transfer-Encoding codings) decoded incrementally, for every HTTP mode.

explorer reads bodies as sent (aiohttp's `auto_decompress` is off, and the
wire client never decodes) and decodes here, so every mode decodes the same
way: stacked codings (`gzip, gzip`), `Transfer-Encoding: gzip, chunked`, br
and zstd (the packages of aiohttp's `speedups` extra), and a corrupt body
named by its coding. Codings are listed in the order they were applied, so
they are undone last first.
"""

from __future__ import annotations

import zlib
from typing import Callable, Mapping

from .errors import StreamError
from .headers import header_values

GZIP = 31  # wbits for a gzip header
ZLIB_OR_GZIP = 47  # wbits that detect a zlib or gzip header
RAW_DEFLATE = -15
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Step:
    """Undo one coding, fed in arbitrary pieces; `finish()` checks the coded stream was complete."""

    name = "identity"

    def feed(self, data: bytes) -> bytes:
        return data

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

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            if self._decoder is None:
                self._decoder = zlib.decompressobj(self._wbits)
            try:
                decoded = self._decoder.decompress(data)
            except zlib.error as error:
                if self.name == "deflate" and not self._started and self._wbits == ZLIB_OR_GZIP:
                    # many servers send raw deflate for "deflate": decode it as such
                    self._wbits, self._decoder = RAW_DEFLATE, None
                    data = self._head + data
                    continue
                raise corrupt(self.name, str(error)) from None
            if not self._started:
                self._head += data
                self._started = bool(decoded) or self._decoder.eof
            out.append(decoded)
            if self._decoder.eof:
                data = self._decoder.unused_data
                self._decoder, self._started, self._head = None, False, b""
            else:
                data = b""
        return b"".join(out)

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

    def feed(self, data: bytes) -> bytes:
        self._fed = self._fed or bool(data)
        try:
            return bytes(self._decoder.process(data))
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

    def feed(self, data: bytes) -> bytes:
        out = []
        self._fed = self._fed or bool(data)
        try:
            while data:
                if self._decoder.eof:  # a new frame follows the finished one
                    self._decoder = self._module.ZstdDecompressor()
                out.append(self._decoder.decompress(data))
                data = self._decoder.unused_data if self._decoder.eof else b""
        except self._module.ZstdError as error:
            raise corrupt(self.name, str(error)) from None
        return b"".join(out)

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

    def feed(self, data: bytes) -> bytes:
        for step in self.steps:
            if not data:
                break
            data = step.feed(data)
        return data

    def finish(self) -> bytes:
        """Whatever the steps still hold; raises if a coded stream was cut short."""
        out = b""
        for step in self.steps:
            if out:
                out = step.feed(out)
            out += step.finish()
        return out


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
