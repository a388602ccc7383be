"""One run of a stream on screen: the worker's pending records, lifecycle messages, fixed-size figures.

The worker (`pump`) only appends records to `pending` and posts a message
when the response arrives and when the stream ends; a timer drains
`pending` into the widgets in batches. A UI call per record would cap a
stream at about a thousand records a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from operator import attrgetter
from time import perf_counter
from typing import AsyncIterator, Callable

from textual.message import Message

from ..core import Kind, Record, StreamRequest, open_stream
from ..core.jsonl import JsonlRecorder
from ..core.modes import REGISTRY, ModeInfo
from ..core.record import DATA_KINDS
from ..core.timing import TimeBuckets, TimingStage

YIELD_EVERY = 0.004  # seconds of uninterrupted ingest before the loop lets the UI run
PAYLOAD_CAP = 4096  # bytes of payload kept per displayed record; `size` keeps the full size
SPARK_POINTS = 120
RATE_WINDOW = 1.0  # seconds
_size = attrgetter("size")
_LIFECYCLE = frozenset((Kind.RESPONSE, Kind.END, Kind.ERROR))  # the records that post a message

Source = Callable[[StreamRequest, TimingStage], AsyncIterator[Record]]


class StreamResponded(Message):
    """The response (headers) of the session's stream arrived."""

    def __init__(self, session: StreamSession, response: Record) -> None:
        super().__init__()
        self.session = session
        self.response = response


class StreamEnded(Message):
    """The session's stream ended, cleanly or with an error: `final` is its end or error record."""

    def __init__(self, session: StreamSession, final: Record) -> None:
        super().__init__()
        self.session = session
        self.final = final


class RecordingFailed(Message):
    """Writing the `-o` capture failed (a full disk): the stream goes on, the capture stops."""

    def __init__(self, recorder: JsonlRecorder, error: OSError) -> None:
        super().__init__()
        self.recorder = recorder
        self.error = error


class StreamStats:
    """Totals, TTFB, a sliding-window rate, recent sizes and arrivals over time: all fixed-size."""

    def __init__(self) -> None:
        self.records = 0
        self.bytes = 0
        self.ttfb: float | None = None
        self.sizes: deque[float] = deque(maxlen=SPARK_POINTS)
        self.arrivals = TimeBuckets()
        self._samples: deque[tuple[float, int, int]] = deque(maxlen=256)

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

    def take(self, batch: list[Record], only_data_inside: bool) -> None:
        """Account for a batch, without a Python loop over all of it.

        A batch is a contiguous piece of the stream: the records before the first
        data record (redirects, 1xx, the response) and after the last (trailers, the
        end) come at its edges. `only_data_inside` says nothing else sits between
        data records (the mode derives no records and no framing is shown).
        """
        if only_data_inside:
            start, end = 0, len(batch)
            while start < end and batch[start].kind not in DATA_KINDS:
                start += 1
            while end > start and batch[end - 1].kind not in DATA_KINDS:
                end -= 1
            data = batch[start:end]
        else:
            data = [r for r in batch if r.kind in DATA_KINDS]
        if data:
            self.arrivals.add_run(data)
            self.bytes += sum(map(_size, data))
            self.records = data[-1].seq + 1
            if self.ttfb is None:
                self.ttfb = data[0].t
            self.sizes.extend(map(_size, data[-SPARK_POINTS:]))
        self._samples.append((perf_counter(), self.records, self.bytes))


class StreamSession:
    """One stream on screen: its state, what the worker produced, and its figures."""

    def __init__(self, source: Source = open_stream) -> None:
        self.source = source
        self.state = "idle"  # idle, connecting, streaming, done, error, stopped
        self.pending: list[Record] = []
        self.stats = StreamStats()
        self.timing = TimingStage()
        self.response: Record | None = None
        self.final: Record | None = None
        self.framing = False
        self.started: float | None = None
        self.finished: float | None = None

    @property
    def mode(self) -> ModeInfo:
        """The mode the response is read in (auto until the response says)."""
        return REGISTRY[self.response.response.mode if self.response is not None else "auto"]

    @property
    def running(self) -> bool:
        return self.state in ("connecting", "streaming")

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or perf_counter()) - self.started

    def start(self, request: StreamRequest) -> None:
        """Reset for a new run of `request`."""
        self.state = "connecting"
        self.pending = []
        self.stats = StreamStats()
        self.timing = TimingStage(request.stall_seconds)
        self.response = self.final = None
        self.framing = request.framing
        self.started, self.finished = perf_counter(), None

    def stop(self) -> bool:
        """The person stopped the stream; True if it was running."""
        if not self.running:
            return False
        self.state = "stopped"
        self.finished = perf_counter()
        return True

    def drain(self) -> list[Record]:
        """Take what the worker produced since the last drain and account for it."""
        batch, self.pending = self.pending, []
        if batch:
            self.stats.take(batch, only_data_inside=not (self.mode.derives or self.framing))
        return batch

    def _lifecycle(self, record: Record) -> Message:
        """Take in the response or the final record; the message that says so."""
        if record.kind is Kind.RESPONSE:
            self.response = record
            self.state = "streaming"
            return StreamResponded(self, record)
        self.final = record
        self.state = "error" if record.kind is Kind.ERROR else "done"
        self.finished = perf_counter()
        return StreamEnded(self, record)

    async def pump(self, request: StreamRequest, post: Callable[[Message], object],
                   recorder: JsonlRecorder | None = None) -> None:
        """Read `request` into `pending`; the only work a worker does per record.

        Reads from a full buffer never yield to the event loop, so every few
        milliseconds of uninterrupted ingest we yield ourselves to let keys
        through. Records go to the recorder exactly as the engine made them;
        if a write fails, recording stops (`RecordingFailed`) and the stream goes on.
        """
        paused_at = perf_counter()
        count = 0
        async for record in self.source(request, self.timing):
            self.pending.append(record)  # not a local alias: a drain between reads replaces the list
            if recorder is not None:
                try:
                    recorder.write(record)
                except OSError as error:
                    post(RecordingFailed(recorder, error))
                    recorder = None
            if record.kind in _LIFECYCLE:  # one set lookup per data record
                post(self._lifecycle(record))
            count += 1
            if count & 127 == 0 and perf_counter() - paused_at > YIELD_EVERY:
                await asyncio.sleep(0)
                paused_at = perf_counter()
