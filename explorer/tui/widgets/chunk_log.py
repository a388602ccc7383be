"""The chunk log: one row per arrival with #, time, +gap, size and a sanitized preview."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style

from ...core.format import fmt_bytes, fmt_ms, preview, summary_line
from ...core.record import Record
from ...core.sanitize import sanitize
from .ring_log import RingLog, cell

LOG_KINDS = frozenset(("response", "chunk", "line", "message", "end", "error"))

DIM = Style(dim=True)
PLAIN = Style()
NUMBER = Style(color="cyan")
GAP = Style(color="yellow")
SIZE = Style(color="green")
KIND = Style(color="magenta")
CHUNK_EDGE = Style(color="bright_blue", bold=True)
PARTIAL = Style(color="red", bold=True)
RESPONSE = Style(color="bright_white", bgcolor="grey23", bold=True)
END = Style(color="black", bgcolor="green")
ERROR = Style(color="bright_white", bgcolor="red3", bold=True)
NOTE = Style(color="bright_white", bgcolor="grey30", italic=True)
STALL = Style(color="black", bgcolor="yellow", bold=True)


class ChunkLog(RingLog[Record]):
    """Rows of response, data, end and error records; error rows stand out."""

    def row_segments(self, record: Record) -> list[Segment]:
        kind = record.kind
        if kind == "response":
            text = f" {preview(record)}  ·  {sanitize(record.get('headers', {}).get('Content-Type', '-'), 60)}"
            text += f"  ·  mode {record.get('mode')}  ·  headers after {fmt_ms(record.t)}"
            framing = record.get("headers", {}).get("Transfer-Encoding")
            if record.get("mode") == "wire" and not framing:
                text += "  ·  no chunk framing: each row is a socket read"
            return [Segment(text, RESPONSE)]
        if kind == "end":
            return [Segment(f" ✔ end: {summary_line(record)}", END)]
        if kind == "error":
            return [Segment(f" ✖ error: {summary_line(record)}", ERROR)]
        if kind == "note":
            return [Segment(f" {sanitize(record.get('text'), 300)}", NOTE)]
        stall = record.get("stall")
        segments = [
            cell(f"{record.seq:,}", 8, NUMBER, right=True),
            cell(fmt_ms(record.t), 11, PLAIN, right=True),
            cell(("⏸ +" if stall else "+") + fmt_ms(record.gap), 11, STALL if stall else GAP, right=True),
            cell(fmt_bytes(record.size), 10, SIZE, right=True),
            Segment("  "),
        ]
        framed = record.get("framed")
        if framed:
            label = "partial" if record.get("partial") else "chunk"
            segments += [cell(label, 8, PARTIAL if record.get("partial") else CHUNK_EDGE), Segment("⟦", CHUNK_EDGE),
                         Segment(preview(record)), Segment("⟧", CHUNK_EDGE)]
        else:
            segments += [cell(kind if framed is None else "read", 8, KIND), Segment(preview(record))]
        if record.get("truncated"):
            segments.append(Segment(" (display cut)", DIM))
        return segments
