"""The chunk log: one row per arrival with #, time, +gap, size and a sanitized preview.

Every colour is a component class styled from the theme, so light themes
read as well as dark ones. End, error and note rows wrap to show their whole
sentence; Enter on any row opens it whole in the inspector.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.segment import Segment

from ...core import Kind, Record
from ...core.format import fmt_bytes, fmt_ms
from ...core.record import DATA_KINDS, FINAL_KINDS
from ...core.rows import META_KINDS, data_row, final_line, meta_line, response_line
from ...core.sanitize import sanitize
from .cells import Wrapped, cell
from .ring_log import RingLog

LOG_KINDS = frozenset((Kind.RESPONSE, *META_KINDS, Kind.FRAMING, *DATA_KINDS, Kind.END, Kind.ERROR))
_LABELS = {kind: f"{kind.value} " for kind in Kind}
NOTE_LENGTH = 2000  # a note is the app's own sentence: cut only if something went badly wrong
GAP_WIDTH = 12  # cells: a stall's "⏸ +30.002 s" is 11, so a space always parts it from the time before it


class Note(NamedTuple):
    """A row the app adds itself (stopped by you, the phases): not part of the stream."""

    text: str


def gap_text(gap: float, stall: bool) -> str:
    """The gap column's text: `+12.3 ms`, or `⏸ +30.002 s` after a stall (`⏸+` once a stall passes 100 s,
    to stay within `GAP_WIDTH` - 1 cells)."""
    if not stall:
        return "+" + fmt_ms(gap)
    text = "⏸ +" + fmt_ms(gap)
    return text if len(text) < GAP_WIDTH else "⏸+" + fmt_ms(gap)


class ChunkLog(RingLog[Record | Note]):
    """Rows of response, data, end and error records, and the app's notes; error rows stand out."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chunk-log--number", "chunk-log--gap", "chunk-log--stall", "chunk-log--size", "chunk-log--kind",
        "chunk-log--chunk-edge", "chunk-log--partial", "chunk-log--detail", "chunk-log--response",
        "chunk-log--meta", "chunk-log--end", "chunk-log--error", "chunk-log--note",
    }

    DEFAULT_CSS = """
    ChunkLog {
        & > .chunk-log--number { color: $text-primary; }
        & > .chunk-log--gap { color: $text-warning; }
        & > .chunk-log--stall { background: $warning-muted; color: $text-warning; text-style: bold; }
        & > .chunk-log--size { color: $text-success; }
        & > .chunk-log--kind { color: $text-secondary; }
        & > .chunk-log--chunk-edge { color: $text-accent; text-style: bold; }
        & > .chunk-log--partial { color: $text-error; text-style: bold; }
        & > .chunk-log--detail { color: $text-muted; }
        & > .chunk-log--response { background: $primary-muted; color: $text; text-style: bold; }
        & > .chunk-log--meta { background: $secondary-muted; color: $text; text-style: italic; }
        & > .chunk-log--end { background: $success-muted; color: $text; }
        & > .chunk-log--error { background: $error-muted; color: $text; text-style: bold; }
        & > .chunk-log--note { background: $panel; color: $text; text-style: italic; }
    }
    """

    def wraps(self, row: Record | Note) -> bool:
        return isinstance(row, Note) or row.kind in FINAL_KINDS or row.kind is Kind.RESPONSE

    def wrapped_text(self, row: Record | Note) -> Wrapped:
        if isinstance(row, Note):
            return Wrapped(" ", sanitize(row.text, NOTE_LENGTH), "chunk-log--note")
        if row.kind is Kind.RESPONSE:
            return Wrapped(" ", response_line(row), "chunk-log--response")
        if row.kind is Kind.END:
            return Wrapped(" ✔ ", final_line(row), "chunk-log--end")
        return Wrapped(" ✖ ", final_line(row), "chunk-log--error")

    def row_text(self, row: Record | Note) -> str:
        """A data row's kind and payload (decoded, not escaped), or what a banner row says.

        Called for every row a search scans: the data path stays free of flag arithmetic (IntFlag
        operators cost a microsecond each).
        """
        if isinstance(row, Note):
            return row.text
        kind = row.kind
        if kind is Kind.LINE or kind is Kind.CHUNK or kind is Kind.MESSAGE:  # DATA_KINDS, without hashing
            data = row.data or b""
            if kind is Kind.MESSAGE and row.binary:
                return "message binary " + data.hex(" ")
            return _LABELS[kind] + data.decode("utf-8", "replace")
        if kind is Kind.RESPONSE:
            return response_line(row)
        if kind in META_KINDS:
            return meta_line(row)
        if kind in FINAL_KINDS:
            return final_line(row)
        return _LABELS[kind] + (row.data or b"").decode("latin-1")  # framing bytes

    def row_segments(self, row: Record | Note) -> list[Segment]:
        style = self.get_component_rich_style
        if isinstance(row, Note):  # drawn by `wrapped_text`; kept for callers that want one line
            return [Segment(f" {sanitize(row.text, NOTE_LENGTH)}", style("chunk-log--note"))]
        kind = row.kind
        if kind is Kind.RESPONSE:
            return [Segment(f" {response_line(row)}", style("chunk-log--response"))]
        if kind in META_KINDS:
            return [Segment(f" {meta_line(row)}", style("chunk-log--meta"))]
        if kind in FINAL_KINDS:
            wrapped = self.wrapped_text(row)
            return [Segment(wrapped.prefix + wrapped.text, style(wrapped.component))]
        plain = self.rich_style
        columns = data_row(row)
        edge = style("chunk-log--chunk-edge")
        segments = [
            cell(f"{columns.seq:,}", 8, style("chunk-log--number"), right=True),
            cell(self.time_text(columns.t), self.time_width, plain, right=True),
            cell(gap_text(columns.gap, columns.stall), GAP_WIDTH,
                 style("chunk-log--stall" if columns.stall else "chunk-log--gap"), right=True),
            cell(fmt_bytes(columns.size), 10, style("chunk-log--size"), right=True),
            Segment("  ", plain),
        ]
        if columns.framed:
            segments += [cell(columns.label, 8, style("chunk-log--partial") if columns.partial else edge),
                         Segment("⟦", edge), Segment(columns.text, plain), Segment("⟧", edge)]
        else:
            segments += [cell(columns.label, 8, style("chunk-log--kind")), Segment(columns.text, plain)]
        if columns.note:
            segments.append(Segment(f" {columns.note}", style("chunk-log--detail")))
        return segments


def arrivals_title(absolute: bool) -> str:
    """The log's title, naming its time column."""
    return f"Arrivals  (#, {'time of day' if absolute else 'time since request'}, +gap, size, preview)"
