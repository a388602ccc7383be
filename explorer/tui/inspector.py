"""The inspector: one log row shown whole, over the screen it came from.

A row is a `Record`, a `Note` (the app's own row) or an `EventRow`. The
inspector shows its timing and sizes, its payload wrapped, pretty JSON when
the payload is JSON, a hex dump and, for a wire chunk, its framing. What a
row says is derived by plain functions (`inspect_row`), so the screen only
lays sections out. Stream content is untrusted: every text goes through
`core.sanitize` and reaches the screen as `Text`, never as markup.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ..core import Kind, Record
from ..core.format import fmt_bytes, fmt_ms, gaps_line, json_number, phases_line, plural, status_line, token_text
from ..core.record import DATA_KINDS, FINAL_KINDS, Flag, Token
from ..core.rows import META_KINDS, EventRow, final_line
from ..core.sanitize import sanitize
from ..engine.outbox import PAYLOAD_CAP
from .widgets.chunk_log import Note

HEX_LIMIT = 4096  # bytes in the hex dump (the payload above it is whole)
TEXT_LIMIT = 65_536  # characters of payload shown (a row added by hand can hold more than the engine keeps)
JSON_LIMIT = 1 << 20  # characters worth trying as JSON

InspectedRow = Record | Note | EventRow
_EVENT_KINDS = frozenset((Kind.SSE, Kind.EVENT, Kind.FRAMING))


class Inspection(NamedTuple):
    """What the inspector shows of a row: every text already safe to display."""

    title: str
    facts: list[tuple[str, str]]
    sections: list[tuple[str, str]]  # (heading, body), in order
    copy: str  # what `c` copies: the payload as received (controls shown as stand-ins), or the row's text
    raw: bytes | None = None  # the payload's bytes, for the hex dump


def inspect_row(row: InspectedRow) -> Inspection:
    """Everything the inspector shows of `row`."""
    if isinstance(row, Note):
        text = safe_text(row.text)
        return Inspection("Note: a row the app added (not from the stream)", [], [("Text", text)], row.text)
    if isinstance(row, EventRow):
        return _inspect_event_row(row)
    return _inspect_record(row)


def _inspect_event_row(row: EventRow) -> Inspection:
    """An event row's record when it has one (its whole payload as kept, not the row's 200 characters)."""
    record = row.record
    if record is not None and record.kind is not Kind.EVENT:  # an SSE event, a token, a message: the row is the record
        return _inspect_record(record)
    facts = [("event", row.name), ("label", row.label), ("seq", f"{row.seq:,}"), ("arrived", fmt_ms(row.t)),
             ("gap", fmt_ms(row.gap))]
    value, copy = row.value, row.value
    index = row.seq - record.seq if record is not None else -1  # which of its read's ijson events it is
    if record is not None and 0 <= index < len(record.events):
        whole = record.events[index][2]
        text = "" if whole is None else _json_text(whole)
        value, copy = safe_text(text), copyable(text)
        if record.cut and isinstance(whole, str) and len(whole) >= PAYLOAD_CAP:
            facts.append(("kept", f"the first {plural(PAYLOAD_CAP, 'character')} of this string: the app keeps "
                                  f"{fmt_bytes(PAYLOAD_CAP)} of each value (-o FILE records them whole)"))
    sections = [("Value", value)]
    pretty = pretty_json(value)
    if pretty is not None and pretty != value:
        sections.append(("JSON", pretty))
    return Inspection(f"Event {row.name} · {row.label}", facts, sections, copy)


def _inspect_record(record: Record) -> Inspection:
    kind = record.kind
    facts = timing_facts(record)
    sections: list[tuple[str, str]] = []
    copy = ""
    raw: bytes | None = None
    if kind in DATA_KINDS or kind is Kind.FRAMING:
        data = record.data or b""
        facts += size_facts(record)
        if record.framed is not None or kind is Kind.FRAMING:
            facts += framing_facts(record)
        if record.binary:
            copy = data.hex(" ")
            sections.append(("Payload", f"binary: {plural(len(data), 'byte')}, shown in hex below"))
        else:
            text = data.decode("utf-8", "replace")
            copy = copyable(text)
            sections.append(("Payload", safe_text(text)))
            pretty = pretty_json(text)
            if pretty is not None:
                sections.append(("JSON", pretty))
        raw = data
    elif kind is Kind.SSE:
        sse = record.sse
        facts += [("event", sanitize(sse.event, 200)), ("id", sanitize(sse.id, 200)),
                  ("retry", "-" if sse.retry is None else f"{sse.retry:,} ms")]
        facts += size_facts(record)
        copy = copyable(sse.data)
        sections.append(("Data", safe_text(sse.data)))
        pretty = pretty_json(sse.data)
        if pretty is not None:
            sections.append(("JSON", pretty))
        raw = sse.data.encode("utf-8", "surrogateescape")
    elif kind is Kind.TOKEN:
        facts, sections, copy = token_facts(record, facts), [("Text", safe_text(record.token.text))], \
            copyable(record.token.text)
    elif kind is Kind.EVENT:
        lines = [f"{prefix or '.'}  {event}  {_json_text(value)}" for prefix, event, value in record.events]
        copy = copyable("\n".join(lines))
        sections.append(("ijson events", safe_lines(lines)))
    elif kind is Kind.RESPONSE or (kind in META_KINDS and kind is not Kind.TRAILERS):
        response = record.response
        facts += [("status", status_line(record)), ("url", sanitize(response.url, 2000)),
                  ("mode", sanitize(response.mode, 40))]
        lines = [f"{name}: {value}" for name, value in response.headers.items()]
        copy = copyable("\n".join(lines))
        sections.append(("Headers", safe_lines(lines) or "none"))
    elif kind is Kind.TRAILERS:
        lines = [f"{name}: {value}" for name, value in (record.value or {}).items()]
        copy = copyable("\n".join(lines))
        sections.append(("Trailers", safe_lines(lines) or "none"))
    elif kind in FINAL_KINDS:
        summary = record.summary
        sentence = final_line(record)
        copy = sentence
        sections += [("Summary", sentence), ("Phases", phases_line(summary.phases)), ("Gaps", gaps_line(summary.gaps))]
    title = f"{kind.value} #{record.seq:,}" if kind in DATA_KINDS or kind in _EVENT_KINDS else kind.value
    if kind is Kind.TOKEN:
        title = f"token #{record.seq:,} · {_channel(record.token)}"
    return Inspection(title, facts, sections, copy, raw)


def token_facts(record: Record, timing: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An LLM token's channel, its text quoted (spaces show), its length and its timing (a stall says so)."""
    token = record.token
    length = record.full_size if record.full_size is not None else len(token.text)
    facts = [("channel", _channel(token)), ("text", token_text(token.text)), ("length", plural(length, "character"))]
    facts += [(name, value) for name, value in timing if name != "arrived"]
    facts.insert(3, ("arrived", f"{fmt_ms(record.t)} after the request"))
    if record.stall:
        facts.append(("stall", f"nothing for {fmt_ms(record.gap)} before this token: a token stall"))
    if record.cut:
        facts.append(("kept", f"the first {plural(len(token.text), 'character')}: the app keeps "
                              f"{fmt_bytes(PAYLOAD_CAP)} of each value (-o FILE records them whole)"))
    return facts


def _channel(token: Token) -> str:
    """`text`, `thinking`, or `tool NAME (call N)` (numbered from 1), sanitized."""
    if token.channel.startswith("tool:"):
        call = "" if token.call is None else f" (call {token.call + 1})"
        return f"tool {sanitize(token.channel[5:], 200)}{call}"
    return sanitize(token.channel, 200)


def timing_facts(record: Record) -> list[tuple[str, str]]:
    """When the record came: time since the request, gap before it, its number, and whether the gap stalled."""
    facts = [("seq", f"{record.seq:,}"), ("arrived", f"{fmt_ms(record.t)} after the request"),
             ("gap", fmt_ms(record.gap) + ("  ⏸ a stall" if record.stall else ""))]
    flags = [flag.name.lower() for flag in Flag if flag and flag.name and record.flags & flag]
    if flags:
        facts.append(("flags", ", ".join(flags)))
    return facts


def size_facts(record: Record) -> list[tuple[str, str]]:
    """Bytes on the wire, decoded length, and how much of the payload the app kept."""
    facts = [("on the wire", _bytes(record.size))]
    if record.flags & Flag.DECODED:
        facts.append(("decoded", _bytes(record.data_size)))
    if record.cut:
        kept = len(record.data) if record.data is not None else len(record.sse.data) if record.kind is Kind.SSE else 0
        facts.append(("kept", f"the first {plural(kept, 'byte')} of {_bytes(record.data_size)}: the app keeps "
                              f"{fmt_bytes(PAYLOAD_CAP)} of each payload (-o FILE records them whole)"))
    return facts


def framing_facts(record: Record) -> list[tuple[str, str]]:
    """How a wire-mode record was framed, and a chunk's extensions."""
    if record.kind is Kind.FRAMING:
        return [("framing", "chunk framing bytes: a size line, or the CRLF after a chunk")]
    if record.framed is False:
        return [("framing", "a socket read: the body has no chunk framing")]
    shape = ("a partial chunk: the stream broke inside it" if record.partial
             else "a piece of a chunk longer than --max-value" if record.flags & Flag.PIECE
             else "one HTTP chunk, exactly as framed")
    extensions = sanitize(record.value, 2000) if record.value else "none"
    return [("framing", shape), ("extensions", extensions)]


def _bytes(count: int) -> str:
    shown = plural(count, "byte")
    return shown if count < 1024 else f"{shown} ({fmt_bytes(count)})"


def safe_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Untrusted text as display text, line breaks kept as breaks (each marked ↵) and everything else sanitized."""
    cut = len(text) > limit
    lines = text[:limit].split("\n")
    ends = ["↵"] * (len(lines) - 1) + [""]
    if len(lines) > 1 and not lines[-1]:  # a final line break: its ↵ ends the last line, no empty line follows
        lines.pop()
        ends.pop()
    shown = "\n".join(sanitize(line, None) + end for line, end in zip(lines, ends))
    return shown + (f"\n… (first {limit:,} characters shown)" if cut else "")


def safe_lines(lines: list[str]) -> str:
    """Lines we made (a header each), each sanitized: their own line breaks and controls show as stand-ins."""
    return "\n".join(sanitize(line, None) for line in lines)


def copyable(text: str) -> str:
    """Text for the clipboard: line breaks and tabs as sent, other controls as their visible stand-ins
    (pasting into a terminal must not run escape sequences)."""
    return "\n".join("\t".join(sanitize(cell, None) for cell in line.split("\t")) for line in text.split("\n"))


def pretty_json(text: str) -> str | None:
    """The payload indented, when it is JSON (or JSON lines); None when it is not. Numbers stay exact."""
    if len(text) > JSON_LIMIT or not text.strip():
        return None
    try:
        values = [json.loads(text, parse_float=Decimal)]
    except (ValueError, RecursionError):
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            return None
        try:
            values = [json.loads(line, parse_float=Decimal) for line in lines]
        except (ValueError, RecursionError):
            return None
    try:
        return "\n".join(sanitize(line, None) for value in values for line in _dump(value).split("\n"))
    except RecursionError:
        return None


def _dump(value: Any, level: int = 0) -> str:
    """JSON text with two-space indents; numbers as read (Decimal keeps 1.10 and 1E+999)."""
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(key, ensure_ascii=False)}: {_dump(item, level + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(pad + _dump(item, level + 1) for item in value) + "\n" + "  " * level + "]"
    return _json_text(value)


def _json_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return json_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def hex_dump(data: bytes, limit: int = HEX_LIMIT, per_line: int = 16) -> str:
    """Offset, `per_line` bytes in hex (in groups of 8), and their printable ASCII (others `.`); at most `limit`
    bytes."""
    lines = []
    for offset in range(0, min(len(data), limit), per_line):
        chunk = data[offset:offset + per_line]
        groups = ("  ".join(" ".join(f"{byte:02x}" for byte in chunk[i:i + 8]) for i in range(0, len(chunk), 8)))
        width = per_line * 3 - 1 + (per_line - 1) // 8
        ascii_ = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in chunk)
        lines.append(f"{offset:08x}  {groups:<{width}}  {ascii_}")
    if len(data) > limit:
        lines.append(f"… (first {limit:,} of {len(data):,} bytes shown)")
    return "\n".join(lines) or "(no bytes)"


class HexDump(Widget):
    """A hex dump that fits its width: 16 bytes a line where there is room, else 8 or 4."""

    DEFAULT_CSS = """
    HexDump {
        height: auto;
        color: $text-muted;
    }
    """

    def __init__(self, data: bytes, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = data

    @staticmethod
    def per_line(width: int) -> int:
        """Bytes a line of `width` cells holds: offset, hex and ASCII side by side."""
        return 16 if width >= 76 else 8 if width >= 43 else 4

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return hex_dump(self.data, per_line=self.per_line(width)).count("\n") + 1

    def render(self) -> Text:
        return Text(hex_dump(self.data, per_line=self.per_line(self.size.width)), overflow="fold")


class InspectorScreen(ModalScreen[None]):
    """One row shown whole over the screen it came from: Esc closes, c copies the payload."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("c", "copy", "Copy payload"),
    ]

    DEFAULT_CSS = """
    InspectorScreen {
        align: center middle;
    }
    #inspector {
        width: 94%;
        height: 1fr;
        margin: 1 0 0 0;
        border: round $accent;
        border-title-color: $text-accent;
        background: $surface;
    }
    #inspector-body {
        height: 1fr;
        padding: 0 1;
    }
    #inspector-body > .inspector-heading {
        color: $text-primary;
        text-style: bold;
        margin: 1 0 0 0;
    }
    """

    def __init__(self, row: InspectedRow) -> None:
        super().__init__()
        self.row = row
        self.inspection = inspect_row(row)

    def compose(self) -> ComposeResult:
        inspection = self.inspection
        with Vertical(id="inspector") as box:
            box.border_title = inspection.title
            box.border_subtitle = "Esc closes · c copies the payload"
            with VerticalScroll(id="inspector-body"):
                if inspection.facts:
                    yield Static(facts_text(inspection.facts), id="inspector-facts")
                for heading, body in inspection.sections:
                    yield Static(Text(heading), classes="inspector-heading")
                    yield Static(Text(body, overflow="fold"), id=f"inspector-{heading.split()[0].lower()}")
                if inspection.raw is not None:
                    yield Static(Text("Hex"), classes="inspector-heading")
                    yield HexDump(inspection.raw, id="inspector-hex")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#inspector-body").focus()

    def action_copy(self) -> None:
        """Copy the payload to the clipboard (through the terminal: OSC 52)."""
        text = self.inspection.copy
        if not text:
            self.notify("Nothing to copy in this row.", timeout=2)
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {plural(len(text), 'character')} (the terminal must allow OSC 52 clipboard writes)",
                    title="Copied", timeout=3, markup=False)


def facts_text(facts: list[tuple[str, str]]) -> Text:
    """Name and value lines, names aligned."""
    width = max(len(name) for name, _ in facts) + 2
    text = Text(overflow="fold")
    for i, (name, value) in enumerate(facts):
        text.append(("\n" if i else "") + name.ljust(width), "bold")
        text.append(value)
    return text
