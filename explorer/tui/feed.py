"""The pane-flush helper: one batch of a session's records into its log (and event view), one refresh.

The main screen and both compare panes use it, on timers of the same rate.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from ..core import Kind, Record
from ..core.rows import EventRow, event_rows
from .ring import Ring
from .session import StreamSession
from .widgets.chunk_log import LOG_KINDS, ChunkLog
from .widgets.event_view import EventView

FLUSH_HZ = 20


class LiveFeed(NamedTuple):
    """A session and the widgets that show it."""

    session: StreamSession
    log: ChunkLog
    events: EventView | None = None
    kept: Ring[Record] | None = None

    def flush(self) -> list[Record]:
        """Move what the worker produced into the widgets; return the batch."""
        batch = self.session.drain()
        if not batch:
            return batch
        tail = batch[-self.log.rows.capacity:]  # older rows would be pushed out at once
        if self.kept is not None:
            self.kept.extend(tail)
        mode = self.session.mode
        self.log.add_rows([r for r in tail if r.kind in LOG_KINDS] if mode.derives else tail)
        if self.events is not None and mode.events:
            self.events.add_rows(newest_event_rows(tail, self.events.rows.capacity))
        return batch


def newest_event_rows(batch: list[Record], limit: int) -> Iterable[EventRow]:
    """The last `limit` event rows of a batch, in order, without building the ones pushed out."""
    newest_first: list[list[EventRow]] = []
    count = 0
    for record in reversed(batch):
        if record.kind in (Kind.EVENT, Kind.SSE, Kind.MESSAGE):
            newest_first.append(list(event_rows(record, limit - count)))
            count += len(newest_first[-1])
            if count >= limit:
                break
    return [row for rows in reversed(newest_first) for row in rows]
