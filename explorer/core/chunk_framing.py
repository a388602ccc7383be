"""The framing of a chunked body, read off the raw bytes: size lines with their extensions, CRLFs, trailers.

h11 parses and validates the chunked body, but its `Data` events carry
neither the chunk extensions (`5;name=value`) nor the framing bytes
themselves. `ChunkFraming` walks the same raw bytes beside it: it scans
only size lines, CRLFs and trailer lines, and skips chunk data by count, so
it costs a few steps per chunk whatever the chunk size.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import header_cap_error
from .request import DEFAULT_MAX_HEADER_SIZE


@dataclass(slots=True)
class Framing:
    """Framing bytes as sent: a size line, the CRLF after a chunk, the last chunk, trailers, the final CRLF."""

    raw: bytes


@dataclass(slots=True)
class Span:
    """`size` bytes of chunk data; `start` is True for the first bytes of a chunk (its extensions in `extensions`)."""

    size: int
    start: bool
    end: bool
    extensions: str | None


_SIZE, _DATA, _CRLF, _TRAILERS, _DONE = range(5)


class ChunkFraming:
    """Turn raw chunked-body bytes, fed in arbitrary pieces, into `Framing` and `Span` items in order."""

    def __init__(self, max_line: int = DEFAULT_MAX_HEADER_SIZE) -> None:
        self.max_line = max_line  # a size or trailer line held past this is refused (h11 refuses it too)
        self._state = _SIZE
        self._line = b""
        self._remaining = 0
        self._extensions: str | None = None
        self._started = False

    @property
    def done(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes) -> list[Framing | Span]:
        items: list[Framing | Span] = []
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state == _DATA:
                take = min(self._remaining, end - pos)
                self._remaining -= take
                items.append(Span(take, not self._started, self._remaining == 0, self._extensions))
                self._started = True
                pos += take
                if self._remaining == 0:
                    self._state = _CRLF
                continue
            if state == _DONE:
                break
            if state == _CRLF:
                byte = data[pos:pos + 1]
                self._line += byte
                pos += 1
                if byte == b"\n" or len(self._line) > 2:  # CRLF (or a bare LF) ends the chunk
                    items.append(Framing(self._line))
                    self._line, self._state = b"", _SIZE
                continue
            newline = data.find(b"\n", pos)
            if newline < 0:
                self._line += data[pos:]
                if len(self._line) > self.max_line:
                    raise header_cap_error(self.max_line, "A chunk size or trailer line")
                break
            line = self._line + data[pos:newline + 1]
            pos, self._line = newline + 1, b""
            items.append(Framing(line))
            if state == _SIZE:
                self._start_chunk(line)
            elif line.strip() == b"":  # the blank line after the trailers
                self._state = _DONE
        return items

    def _start_chunk(self, line: bytes) -> None:
        text = line.rstrip(b"\r\n").decode("latin-1")
        digits = len(text) - len(text.lstrip("0123456789abcdefABCDEF"))
        try:
            size = int(text[:digits], 16)
        except ValueError:
            size = 0  # h11 reports the malformed size line
        rest = text[digits:]
        self._extensions = rest if rest.strip() else None
        self._started = False
        if size == 0:
            self._state = _TRAILERS
        else:
            self._remaining, self._state = size, _DATA
