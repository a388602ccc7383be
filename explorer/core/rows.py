"""The row model: a record's columns and decorations, derived once and rendered by each face.

`explorer get` renders rows as aligned text, the app as Rich segments; both
take them from here, so a record reads the same everywhere.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterator, NamedTuple

from .format import data_preview, fmt_bytes, fmt_ms, hex_preview, json_value, status_line, summary_line, token_text
from .headers import header_value
from .record import Flag, Kind, Record
from .sanitize import PREVIEW_LENGTH, sanitize

KEY_HEADERS = ("Content-Type", "Content-Length", "Transfer-Encoding", "Content-Encoding", "Server")
_KEY_NAMES = tuple(name.lower() for name in KEY_HEADERS)


class Row(NamedTuple):
    """One data record as log columns: every text field is already safe to display."""

    seq: int
    t: float
    gap: float
    size: int
    label: str  # the kind; for wire mode: chunk, partial or read; for a control frame: ping, pong or close
    text: str  # the payload preview
    stall: bool  # the gap before it is a stall
    framed: bool  # text is one HTTP chunk as framed: faces draw its edges
    partial: bool
    note: str  # what else a reader must know (partial chunk, display cut)


def direction(record: Record) -> str:
    """A WebSocket message's or control frame's direction mark: `↑` sent by explorer, `↓` received."""
    return "↑" if record.flags & Flag.OUTGOING else "↓"


def data_row(record: Record, limit: int = PREVIEW_LENGTH) -> Row:
    """The row of a chunk, line or message record (a message's text led by its direction mark), or of a
    `framing` record (its bytes, CR and LF spelled out) or a `control` record (labelled ping, pong or close)."""
    if record.kind is Kind.FRAMING:
        raw = (record.data or b"").decode("latin-1").replace("\r", "\\r").replace("\n", "\\n")
        return Row(record.seq, record.t, record.gap, record.size, "framing", sanitize(raw, limit),
                   False, False, False, "")
    if record.kind is Kind.CONTROL:
        return _control_row(record, limit)
    framed = record.framed
    if framed:
        label = "partial" if record.partial else "piece" if record.flags & Flag.PIECE else "chunk"
    else:
        label = "read" if framed is False else record.kind.value
    notes = []
    if record.flags & Flag.DECODED:
        decoded = record.data_size
        notes.append(f"(decoded {fmt_bytes(decoded)})" if decoded or record.partial
                     else "(decodes to nothing yet: a compressor header or flush)")
    if record.kind is Kind.CHUNK and record.value:
        notes.append(f"(extensions {sanitize(record.value, 80)})")
    if record.partial:
        notes.append("(partial chunk: the stream broke inside it)")
    if record.flags & Flag.PIECE:
        notes.append("(piece of a chunk longer than the value cap)")
    if record.cut:
        notes.append(f"(first {fmt_bytes(len(record.data or b''))} kept)")
    if record.kind is Kind.MESSAGE:
        text = f"{direction(record)} {data_preview(record, limit - 2)}"
    else:
        text = data_preview(record, limit)
    return Row(record.seq, record.t, record.gap, record.size, label, text, record.stall, bool(framed),
               record.partial, " ".join(notes))


def _control_row(record: Record, limit: int) -> Row:
    """`ping ↓ …`, `pong ↑ …`, `close ↓ 1000 bye`: the frame's name, direction and payload (hex unless UTF-8)."""
    data = record.data or b""
    try:
        data.decode("utf-8")
        shown = sanitize(data, limit - 2)
    except UnicodeDecodeError:
        shown = "binary " + hex_preview(data)
    name = sanitize(str(record.value or "control"), 8)
    note = "(no status code)" if name == "close" and not data else ""
    return Row(record.seq, record.t, record.gap, record.size, name, f"{direction(record)} {shown}".rstrip(),
               False, False, False, note)


class EventRow(NamedTuple):
    """One parsed event: an ijson event, an SSE event or LLM token, or a WebSocket message."""

    seq: int
    t: float
    gap: float
    label: str  # ijson prefix, SSE id, or a message's direction mark and number
    name: str  # ijson event, SSE event name, token, text or binary
    value: str  # safe display text, cut at PREVIEW_LENGTH
    record: Record | None = None  # the record it came from: its whole payload, as kept, for the inspector


def event_rows(record: Record, limit: int | None = None) -> Iterator[EventRow]:
    """The event rows a record contributes (at most the last `limit`)."""
    kind = record.kind
    if kind is Kind.EVENT:
        events = record.events if limit is None else record.events[-limit:]
        first = len(record.events) - len(events)
        for n, (prefix, event, value) in enumerate(events, start=first):
            yield EventRow(record.seq + n, record.t, record.gap if n == 0 else 0.0,
                           sanitize(prefix or ".", 80), event, json_value(value), record)
    elif kind is Kind.SSE:
        sse = record.sse
        yield EventRow(record.seq, record.t, record.gap, f"id={sanitize(sse.id, 40)}", sanitize(sse.event, 40),
                       sanitize(sse.data), record)
    elif kind is Kind.TOKEN:
        token = record.token
        yield EventRow(record.seq, record.t, record.gap, sanitize(token.channel, 40), "token", token_text(token.text),
                       record)
    elif kind is Kind.MESSAGE:
        if record.binary:
            shown, name = hex_preview(record.data or b""), "binary"
        else:
            shown, name = sanitize(record.data), "text"
        yield EventRow(record.seq, record.t, record.gap, f"{direction(record)} #{record.seq}", name, shown, record)


def response_line(record: Record) -> str:
    """The response banner: status line, mode, when headers came, key headers, framing notes."""
    response = record.response
    parts = [status_line(record), f"mode {response.mode}", f"headers after {fmt_ms(record.t)}"]
    sent = {name.lower(): name for name in response.headers}  # names in any case, shown as the server sent them
    parts += [f"{sanitize(sent[key], 40)}: {sanitize(response.headers[sent[key]], 80)}"
              for key in _KEY_NAMES if key in sent]
    if response.mode == "wire" and "transfer-encoding" not in sent:
        parts.append("no chunk framing: each row is a socket read")
    return "  ·  ".join(parts)


META_KINDS = frozenset((Kind.INFORMATIONAL, Kind.REDIRECT, Kind.TRAILERS))


def meta_line(record: Record) -> str:
    """A 1xx response, a redirect hop or the trailers, on one line."""
    if record.kind is Kind.TRAILERS:
        return f"trailers at {fmt_ms(record.t)}: {_fields(record.value or {}) or 'none'}"
    headers = record.response.headers
    if record.kind is Kind.REDIRECT:
        where = header_value(headers.items(), "Location")
        return f"redirect at {fmt_ms(record.t)}: {status_line(record)} → {sanitize(where, 120)}"
    shown = _fields(headers)
    return f"informational at {fmt_ms(record.t)}: {status_line(record)}" + (f"  ·  {shown}" if shown else "")


FIELDS_SHOWN = 20  # a line of fields shows this many; the rest are counted


def _fields(fields: dict[str, str]) -> str:
    shown = [f"{sanitize(name, 40)}: {sanitize(value, 80)}" for name, value in islice(fields.items(), FIELDS_SHOWN)]
    if len(fields) > FIELDS_SHOWN:
        shown.append(f"… and {len(fields) - FIELDS_SHOWN:,} more")
    return "  ·  ".join(shown)


def final_line(record: Record) -> str:
    """The end or error banner: `end: ...` or `error: ...`."""
    return f"{record.kind.value}: {summary_line(record)}"
