"""The event view: ijson events, SSE events or WebSocket messages, each with its arrival time."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment

from ...core.rows import EventRow
from .cells import cell
from .ring_log import RingLog


class EventView(RingLog[EventRow]):
    """Parsed events as they become available (rows from `core.rows.event_rows`, already safe)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-view--time", "event-view--prefix", "event-view--event", "event-view--value",
    }

    DEFAULT_CSS = """
    EventView {
        & > .event-view--time { color: $text-primary; }
        & > .event-view--prefix { color: $text-accent; }
        & > .event-view--event { color: $text-secondary; }
        & > .event-view--value { color: $text-success; }
    }
    """

    def row_text(self, row: EventRow) -> str:
        """The prefix (or SSE id, message number), the event name and the value, as shown."""
        return f"{row.label} {row.name} {row.value}"

    def row_segments(self, row: EventRow) -> list[Segment]:
        style = self.get_component_rich_style
        plain = self.rich_style
        return [
            cell(self.time_text(row.t), self.time_width, style("event-view--time"), right=True),
            Segment("  ", plain),
            cell(row.label, 24, style("event-view--prefix")),
            Segment(" ", plain),
            cell(row.name, 11, style("event-view--event")),
            Segment(" ", plain),
            Segment(row.value, style("event-view--value")),
        ]
