"""The event view: ijson events, SSE events or WebSocket messages, each with its arrival time."""

from __future__ import annotations

import json
from typing import Iterator, NamedTuple

from rich.segment import Segment
from rich.style import Style

from ...core.format import fmt_ms, hex_preview
from ...core.modes.sse import llm_token
from ...core.record import Record
from ...core.sanitize import sanitize
from .ring_log import RingLog, cell

TIME = Style(color="cyan")
PREFIX = Style(color="bright_blue")
EVENT = Style(color="magenta")
VALUE = Style(color="green")


class EventRow(NamedTuple):
    """One line of the event view."""

    t: float
    label: str
    kind: str
    value: str


def event_rows(record: Record, limit: int) -> Iterator[EventRow]:
    """The event-view rows a record contributes (at most the last `limit`)."""
    kind = record.kind
    if kind == "event":
        for prefix, event, value in record.events[-limit:]:
            shown = "" if value is None else json.dumps(value, default=str, ensure_ascii=False)
            yield EventRow(record.t, prefix or ".", event, shown)
    elif kind == "sse":
        data = record.get("data") or ""
        token = llm_token(data)
        if token is not None:
            yield EventRow(record.t, f"id={record.get('id')}", "token", json.dumps(token, ensure_ascii=False))
        else:
            yield EventRow(record.t, f"id={record.get('id')}", record.get("event") or "message", data)
    elif kind == "message":
        if record.get("type") == "binary":
            yield EventRow(record.t, f"#{record.seq}", "binary", hex_preview(record.data or b""))
        else:
            yield EventRow(record.t, f"#{record.seq}", "text", (record.data or b"").decode("utf-8", "replace"))


class EventView(RingLog[EventRow]):
    """Parsed events as they become available."""

    def row_segments(self, row: EventRow) -> list[Segment]:
        return [
            cell(fmt_ms(row.t), 11, TIME, right=True),
            Segment("  "),
            cell(sanitize(row.label, 30), 24, PREFIX),
            Segment(" "),
            cell(sanitize(row.kind, 20), 11, EVENT),
            Segment(" "),
            Segment(sanitize(row.value, 300), VALUE),
        ]
