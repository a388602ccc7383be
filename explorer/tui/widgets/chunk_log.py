"""The chunk log: one row per arrival with #, time, +gap, size and a sanitized preview."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style

from ...core import Kind, Record
from ...core.format import fmt_bytes, fmt_ms
from ...core.record import DATA_KINDS
from ...core.rows import META_KINDS, data_row, final_line, meta_line, response_line
from ...core.sanitize import sanitize
from .ring_log import RingLog, cell

LOG_KINDS = frozenset((Kind.RESPONSE, *META_KINDS, Kind.FRAMING, *DATA_KINDS, Kind.END, Kind.ERROR))

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
META = Style(color="bright_white", bgcolor="grey15", italic=True)
NOTE = Style(color="bright_white", bgcolor="grey30", italic=True)
STALL = Style(color="black", bgcolor="yellow", bold=True)


class Note(NamedTuple):
    """A row the app adds itself (stopped by you, the phases): not part of the stream."""

    text: str


class ChunkLog(RingLog[Record | Note]):
    """Rows of response, data, end and error records, and the app's notes; error rows stand out."""

    def row_segments(self, row: Record | Note) -> list[Segment]:
        if isinstance(row, Note):
            return [Segment(f" {sanitize(row.text, 400)}", NOTE)]
        kind = row.kind
        if kind is Kind.RESPONSE:
            return [Segment(f" {response_line(row)}", RESPONSE)]
        if kind in META_KINDS:
            return [Segment(f" {meta_line(row)}", META)]
        if kind is Kind.END:
            return [Segment(f" ✔ {final_line(row)}", END)]
        if kind is Kind.ERROR:
            return [Segment(f" ✖ {final_line(row)}", ERROR)]
        columns = data_row(row)
        segments = [
            cell(f"{columns.seq:,}", 8, NUMBER, right=True),
            cell(self.time_text(columns.t), self.time_width, PLAIN, right=True),
            cell(("⏸ +" if columns.stall else "+") + fmt_ms(columns.gap), 11, STALL if columns.stall else GAP,
                 right=True),
            cell(fmt_bytes(columns.size), 10, SIZE, right=True),
            Segment("  "),
        ]
        if columns.framed:
            segments += [cell(columns.label, 8, PARTIAL if columns.partial else CHUNK_EDGE),
                         Segment("⟦", CHUNK_EDGE), Segment(columns.text), Segment("⟧", CHUNK_EDGE)]
        else:
            segments += [cell(columns.label, 8, KIND), Segment(columns.text)]
        if columns.note:
            segments.append(Segment(f" {columns.note}", DIM))
        return segments
