"""A run's figures over every data record: totals, TTFB, recent sizes and arrivals over time, all fixed-size."""

from __future__ import annotations

from collections import deque
from operator import attrgetter

from ..core.record import DATA_KINDS, Flag, Record
from ..core.timing import TimeBuckets

SPARK_POINTS = 120
_size = attrgetter("size")
_OUTGOING = int(Flag.OUTGOING)  # a plain int: `int & IntFlag` builds an IntFlag each time


class StreamStats:
    """Totals, TTFB, the sizes of the newest records and arrivals over time.

    The engine accounts for every record here, the UI gets a copy with each batch.
    """

    def __init__(self) -> None:
        self.records = 0
        self.bytes = 0
        self.ttfb: float | None = None
        self.sizes: deque[float] = deque(maxlen=SPARK_POINTS)
        self.arrivals = TimeBuckets()

    def take(self, batch: list[Record], only_data_inside: bool) -> None:
        """Account for a batch, without a Python loop over all of it.

        A batch is a contiguous piece of the stream: the records before the first
        data record (redirects, 1xx, the response) and after the last (trailers, the
        end) come at its edges. `only_data_inside` says nothing else sits between
        data records (the mode derives no records and no framing is shown). Messages
        explorer sent on a WebSocket are not the stream's data: they are left out.
        """
        if only_data_inside:
            start, end = 0, len(batch)
            while start < end and batch[start].kind not in DATA_KINDS:
                start += 1
            while end > start and batch[end - 1].kind not in DATA_KINDS:
                end -= 1
            data = batch[start:end]
        else:
            data = [r for r in batch if r.kind in DATA_KINDS and not r.flags & _OUTGOING]
        if data:
            self.arrivals.add_run(data)
            self.bytes += sum(map(_size, data))
            self.records = data[-1].seq + 1
            if self.ttfb is None:
                self.ttfb = data[0].t
            self.sizes.extend(map(_size, data[-SPARK_POINTS:]))

    def copy(self) -> StreamStats:
        """A copy the UI can read while the engine goes on adding."""
        other = StreamStats()
        other.records, other.bytes, other.ttfb = self.records, self.bytes, self.ttfb
        other.sizes.extend(self.sizes)
        other.arrivals = self.arrivals.copy()
        return other
