"""The pane-flush helper: one batch of a session's records into its log (and event view and transcript), one
refresh.

The main screen and both compare panes use it, on timers of the same rate.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from ..core import Kind, Record
from ..core.format import plural
from ..core.rows import EventRow, event_rows
from .ring import Ring
from .session import StreamSession
from .widgets.chunk_log import LOG_KINDS, ChunkLog, Note
from .widgets.event_view import EventView
from .widgets.transcript import Transcript

FLUSH_HZ = 20
_EVENT_KINDS = frozenset((Kind.EVENT, Kind.SSE, Kind.TOKEN, Kind.MESSAGE))


class LiveFeed(NamedTuple):
    """A session and the widgets that show it."""

    session: StreamSession
    log: ChunkLog
    events: EventView | None = None
    kept: Ring[Record] | None = None
    transcript: Transcript | None = None

    def flush(self) -> list[Record]:
        """Move what the worker produced into the widgets; return the batch."""
        batch = self.session.drain()
        if not batch:
            return batch
        tail = batch[-self.log.rows.capacity:]  # older rows would be pushed out at once
        if self.kept is not None:
            self.kept.extend(tail)
        mode = self.session.mode
        llm = self.session.llm
        derives = mode.derives or llm.active  # token records go to the events and the transcript, not the log
        if self.session.gaps:
            self.log.add_rows(with_gap_notes(tail, derives, len(batch) - len(tail), self.session.gaps))
        else:
            self.log.add_rows([r for r in tail if r.kind in LOG_KINDS] if derives else tail)
        if self.events is not None and (mode.events or llm.active):
            self.events.add_rows(newest_event_rows(tail, self.events.rows.capacity))
        if self.transcript is not None and llm.tokens:
            self.transcript.add(llm.tokens)  # every token of the batch: the answer is whole even when rows are not
        return batch


def with_gap_notes(tail: list[Record], derives: bool, cut: int, gaps: list[tuple[int, int]]) -> list[Record | Note]:
    """The log rows of `tail` with a note where the engine left records out (`gaps` index the whole batch,
    of which `tail` is the end after `cut` records); those records are in the figures and in `-o`, not here."""
    left_out: dict[int, int] = {}
    for at, count in gaps:
        index = max(0, at - cut)
        left_out[index] = left_out.get(index, 0) + count
    rows: list[Record | Note] = []
    pending = 0
    for index, record in enumerate(tail):
        pending += left_out.get(index, 0)
        if derives and record.kind not in LOG_KINDS:
            continue
        if pending:
            rows.append(Note(f"… {plural(pending, 'record')} not shown: counted in the figures, "
                             "recorded whole with -o FILE"))
            pending = 0
        rows.append(record)
    return rows


def newest_event_rows(batch: list[Record], limit: int) -> Iterable[EventRow]:
    """The last `limit` event rows of a batch, in order, without building the ones pushed out."""
    newest_first: list[list[EventRow]] = []
    count = 0
    for record in reversed(batch):
        if record.kind in _EVENT_KINDS:
            newest_first.append(list(event_rows(record, limit - count)))
            count += len(newest_first[-1])
            if count >= limit:
                break
    return [row for rows in reversed(newest_first) for row in rows]
