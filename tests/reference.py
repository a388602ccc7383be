"""Independent references to compare explorer with: none of this uses explorer's code.

- `fetch(url)`: the whole response read with a plain socket (`Connection:
  close`, read until the server closes), split into 1xx heads, the final head
  and the body as it was on the wire.
- `parse_chunked(body)`: our own chunk framing parser (sizes, extensions as
  sent, trailers).
- `sse_parse(body)`: server-sent events by the WHATWG rules.
- `json_events(body)`: `ijson.parse` of the whole body (numbers exact).
"""

from __future__ import annotations

import io
import re
import socket
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

import ijson

READ_TIMEOUT = 30.0


def request_bytes(url: str, method: str = "GET", headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """An HTTP/1.1 request for `url` that asks the server to close after answering."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers),
             "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def socket_read(url: str, method: str = "GET", headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """Every byte of the response, read until the server closes the connection."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=READ_TIMEOUT) as sock:
        sock.sendall(request_bytes(url, method, headers))
        received = bytearray()
        while piece := sock.recv(65536):
            received += piece
    return bytes(received)


@dataclass
class Head:
    """One status line and its header fields, in order, as sent."""

    status: int
    reason: str
    version: str
    fields: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        values = [v for k, v in self.fields if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def folded(self) -> dict[str, str]:
        """Names lower-cased, repeated names joined with ', '."""
        return fold(self.fields)


def fold(fields: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


@dataclass
class WireChunk:
    """One chunk as framed: size from the size line, extensions as sent after the digits (None if none)."""

    size: int
    ext: str | None
    data: bytes


@dataclass
class Exchange:
    """A response read off a plain socket."""

    informational: list[Head]
    head: Head
    body: bytes  # the message body exactly as on the wire, framing included
    chunks: list[WireChunk] | None = None  # when chunked
    trailers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def transfer_codings(self) -> list[str]:
        return codings(self.head.get("Transfer-Encoding"))

    @property
    def content_codings(self) -> list[str]:
        return codings(self.head.get("Content-Encoding"))

    @property
    def entity(self) -> bytes:
        """The body without transfer framing or transfer codings: what `--raw` shows."""
        if self.chunks is None:
            return self.body
        data = b"".join(c.data for c in self.chunks)
        return decode(data, [c for c in self.transfer_codings if c != "chunked"])

    @property
    def decoded(self) -> bytes:
        """The entity with its content codings undone."""
        return decode(self.entity, self.content_codings)

    def decoded_per_chunk(self) -> list[bytes]:
        """What each wire chunk decodes to, fed in order to one decoder (single gzip or deflate coding)."""
        assert self.chunks is not None and len(self.content_codings) == 1, self.head
        decoder = decompressor(self.content_codings[0])
        return [decoder.decompress(c.data) for c in self.chunks]


def codings(value: str | None) -> list[str]:
    return [c.strip().lower() for c in (value or "").split(",") if c.strip()]


def decompressor(coding: str) -> Any:
    return zlib.decompressobj({"gzip": 31, "x-gzip": 31, "deflate": 15}[coding])


def decode(data: bytes, applied: list[str]) -> bytes:
    """Undo codings listed in the order they were applied (so the last is undone first)."""
    for coding in reversed(applied):
        decoder = decompressor(coding)
        out = decoder.decompress(data)
        assert decoder.eof and not decoder.unused_data, f"{coding} body is not one complete member"
        data = out
    return data


def fetch(url: str, method: str = "GET", headers: Iterable[tuple[str, str]] = ()) -> Exchange:
    """Read the response to `url` with a plain socket and split it up (see `split_response`)."""
    return split_response(socket_read(url, method, headers), head_only=method == "HEAD")


def split_response(raw: bytes, head_only: bool = False) -> Exchange:
    """1xx heads, the final head and the body; chunked bodies parsed, and nothing may follow them."""
    informational: list[Head] = []
    rest = raw
    while True:
        end = rest.index(b"\r\n\r\n")
        head, rest = parse_head(rest[:end]), rest[end + 4:]
        if 100 <= head.status < 200:
            informational.append(head)
            continue
        break
    if head_only or head.status in (204, 304):
        return Exchange(informational, head, b"")
    exchange = Exchange(informational, head, rest)
    if "chunked" in exchange.transfer_codings:
        chunks, trailers, used = parse_chunked(rest)
        assert used == len(rest), f"{len(rest) - used} bytes after the chunked body"
        exchange.chunks, exchange.trailers = chunks, trailers
    elif (length := head.get("Content-Length")) is not None:
        assert len(rest) == int(length), (len(rest), length)
    return exchange


def parse_head(block: bytes) -> Head:
    status_line, *lines = block.decode("latin-1").split("\r\n")
    version, status, *reason = status_line.split(" ", 2)
    fields = []
    for line in lines:
        name, colon, value = line.partition(":")
        assert colon and name == name.strip(), f"bad header line {line!r}"
        fields.append((name, value.strip(" \t")))
    return Head(int(status), reason[0] if reason else "", version.removeprefix("HTTP/"), fields)


CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]+)(.*)", re.DOTALL)


def parse_chunked(body: bytes) -> tuple[list[WireChunk], list[tuple[str, str]], int]:
    """Chunks, trailer fields, and how many bytes of `body` the chunked framing took."""
    chunks: list[WireChunk] = []
    pos = 0
    while True:
        eol = body.index(b"\r\n", pos)
        match = CHUNK_SIZE_LINE.fullmatch(body, pos, eol)
        assert match, f"bad chunk size line {body[pos:eol]!r}"
        size, ext = int(match[1], 16), match[2].decode("latin-1") or None
        pos = eol + 2
        if size == 0:
            break
        data = body[pos:pos + size]
        assert len(data) == size and body[pos + size:pos + size + 2] == b"\r\n", "chunk data not followed by CRLF"
        chunks.append(WireChunk(size, ext, data))
        pos += size + 2
    trailers: list[tuple[str, str]] = []
    while True:
        eol = body.index(b"\r\n", pos)
        line, pos = body[pos:eol], eol + 2
        if not line:
            return chunks, trailers, pos
        name, colon, value = line.decode("latin-1").partition(":")
        assert colon, f"bad trailer line {line!r}"
        trailers.append((name, value.strip(" \t")))


@dataclass(frozen=True)
class Event:
    """A dispatched server-sent event: type, data, the last event ID, and the reconnection time then."""

    event: str
    data: str
    id: str
    retry: int | None


def sse_parse(body: bytes) -> tuple[list[Event], int]:
    """Events dispatched and comment lines seen, by the WHATWG "event stream interpretation" rules.

    UTF-8 with a leading BOM dropped; lines end at CRLF, LF or CR; `field:
    value` with one leading space stripped from the value; a line without a
    colon is a field with an empty value; data lines joined with LF; a blank
    line dispatches (nothing when the data buffer is empty, though the last
    event ID is still set); `id` containing NUL is ignored; `retry` only when
    all ASCII digits; an unfinished event at the end is discarded. The id and
    reconnection time persist from event to event.
    """
    text = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = re.split("\r\n|\r|\n", text)[:-1]  # the last piece has no line ending: discarded
    events: list[Event] = []
    comments = 0
    event_type, data, id_buffer, last_id, retry = "", "", "", "", None
    for line in lines:
        if not line:
            last_id = id_buffer
            if data:
                events.append(Event(event_type or "message", data.removesuffix("\n"), last_id, retry))
            event_type, data = "", ""
            continue
        if line.startswith(":"):
            comments += 1
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry" and re.fullmatch("[0-9]+", value):
            retry = int(value)
    return events, comments


def json_events(body: bytes) -> list[tuple[str, str, Any]]:
    """`ijson.parse` of the whole body, several top-level values allowed (NDJSON)."""
    return list(ijson.parse(io.BytesIO(body), multiple_values=True))


def typed(events: Iterable[tuple[str, str, Any]]) -> list[tuple[str, str, str, str]]:
    """Events with each value's type and exact text, so 2.5 (float) never equals Decimal('2.50')."""
    return [(prefix, event, type(value).__name__, str(value)) for prefix, event, value in events]
