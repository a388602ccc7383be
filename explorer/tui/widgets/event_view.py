"""The event view: ijson events, SSE events or WebSocket messages, each with its arrival time."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style

from ...core.rows import EventRow
from .ring_log import RingLog, cell

TIME = Style(color="cyan")
PREFIX = Style(color="bright_blue")
EVENT = Style(color="magenta")
VALUE = Style(color="green")


class EventView(RingLog[EventRow]):
    """Parsed events as they become available (rows from `core.rows.event_rows`, already safe)."""

    def row_segments(self, row: EventRow) -> list[Segment]:
        return [
            cell(self.time_text(row.t), self.time_width, TIME, right=True),
            Segment("  "),
            cell(row.label, 24, PREFIX),
            Segment(" "),
            cell(row.name, 11, EVENT),
            Segment(" "),
            Segment(row.value, VALUE),
        ]
