"""The state of the stream on screen: pending records from the worker and fixed-size statistics.

The worker only appends to `pending`; the app's flush timer drains it 25
times a second. No Textual here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from operator import attrgetter
from time import perf_counter

from ..core import StreamRequest, open_stream
from ..core.jsonl import JsonlRecorder
from ..core.record import Record
from ..core.timing import TimingStats

YIELD_EVERY = 0.004  # seconds of uninterrupted ingest before the loop lets the UI run
PAYLOAD_CAP = 4096  # bytes of payload kept per displayed record; `size` keeps the full size
SPARK_POINTS = 120
RATE_WINDOW = 1.0  # seconds
DATA_KINDS = frozenset(("chunk", "line", "message"))
_size = attrgetter("size")


class StreamStats:
    """Totals, TTFB, a sliding-window rate and recent sizes: all fixed-size."""

    def __init__(self) -> None:
        self.state = "idle"
        self.records = 0
        self.bytes = 0
        self.ttfb: float | None = None
        self.started: float | None = None
        self.finished: float | None = None
        self.response: Record | None = None
        self.final: Record | None = None
        self.sizes: deque[float] = deque(maxlen=SPARK_POINTS)
        self.timing = TimingStats()
        self._samples: deque[tuple[float, int, int]] = deque(maxlen=256)

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or perf_counter()) - self.started

    def rate(self) -> tuple[float, float]:
        """(records/s, bytes/s) over the last second or so."""
        if len(self._samples) < 2:
            return 0.0, 0.0
        now = self._samples[-1]
        then = next((s for s in self._samples if now[0] - s[0] <= RATE_WINDOW), self._samples[0])
        if then is now:
            then = self._samples[-2]
        span = now[0] - then[0]
        if span <= 0:
            return 0.0, 0.0
        return (now[1] - then[1]) / span, (now[2] - then[2]) / span

    def take(self, batch: list[Record]) -> None:
        """Account for a batch drained from the worker, without a Python loop over all of it.

        A batch is a contiguous piece of the stream: only its first record can be
        the response and only its last the end or error.
        """
        if not batch:
            return
        first, last = batch[0], batch[-1]
        if first.kind == "response":
            self.response = first
            self.state = "streaming"
        mode = self.response.get("mode") if self.response is not None else None
        self.timing.observe_batch(batch, only_data_inside=mode not in ("json", "sse"))
        self.bytes += sum(map(_size, batch))
        if last.kind in ("end", "error"):
            self.bytes -= last.size  # the final record's size is the stream's total, not new bytes
            last.extra = {**(last.extra or {}), **self.timing.summary()}
            self.final = last
            self.state = "error" if last.kind == "error" else "done"
            self.finished = perf_counter()
        for record in reversed(batch):
            if record.kind in DATA_KINDS:
                self.records = record.seq + 1
                break
        if self.ttfb is None:
            self.ttfb = next((r.t for r in batch if r.kind in DATA_KINDS), None)
        tail = [r.size for r in batch[-SPARK_POINTS * 4:] if r.kind in DATA_KINDS]
        self.sizes.extend(tail[-SPARK_POINTS:])
        self._samples.append((perf_counter(), self.records, self.bytes))


class StreamSession:
    """One run of a stream on screen: what the worker produced and its statistics."""

    def __init__(self) -> None:
        self.pending: list[Record] = []
        self.stats = StreamStats()

    def start(self) -> None:
        self.pending = []
        self.stats = StreamStats()
        self.stats.state = "connecting"
        self.stats.started = perf_counter()

    def drain(self) -> list[Record]:
        batch, self.pending = self.pending, []
        self.stats.take(batch)
        return batch


def cap_payload(record: Record) -> None:
    """Keep at most PAYLOAD_CAP bytes of a displayed record's payload (its size stays true)."""
    data = record.data
    if data is not None and len(data) > PAYLOAD_CAP:
        record.data = data[:PAYLOAD_CAP]
        record.extra = {**(record.extra or {}), "truncated": True}


async def pump(request: StreamRequest, session: StreamSession, recorder: JsonlRecorder | None = None) -> None:
    """Read `request` into `session.pending`; the only work a worker does per record.

    Reads from a full buffer never yield to the event loop, so every few
    milliseconds of uninterrupted ingest we yield ourselves to let keys
    through. The final record is left for the flush to record, once it
    carries the gap statistics.
    """
    paused_at = perf_counter()
    count = 0
    async for record in open_stream(request):
        session.pending.append(record)
        if recorder is not None and record.kind not in ("end", "error"):
            recorder.write(record)
        count += 1
        if count & 127 == 0 and perf_counter() - paused_at > YIELD_EVERY:
            await asyncio.sleep(0)
            paused_at = perf_counter()
