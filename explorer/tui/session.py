"""One run of a stream on screen: the engine thread's records, lifecycle messages, fixed-size figures.

The stream is read on the session's own engine thread and event loop
(`LoopThread`), so nothing the UI does can delay a stamp. There the pump
only appends each record to the run's `Inbox` (and the `-o` capture); the
UI takes the inbox in batches on a timer (`drain`), and learns from the
batches that the response came and that the stream ended. A UI call per
record would cap a stream at about a thousand records a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from operator import attrgetter
from time import perf_counter
from typing import AsyncGenerator, Callable

from textual.message import Message

from ..core import Kind, Record, StreamRequest, open_stream
from ..core.jsonl import JsonlRecorder
from ..core.modes import REGISTRY, ModeInfo
from ..core.record import DATA_KINDS
from ..core.timing import TimeBuckets, TimingStage
from ..loop_thread import LoopThread

YIELD_EVERY = 0.004  # seconds of uninterrupted ingest before the engine loop lets its timers run
PAYLOAD_CAP = 4096  # bytes of payload kept per displayed record; `size` keeps the full size
SPARK_POINTS = 120
RATE_WINDOW = 1.0  # seconds
SILENT_AFTER = 1.0  # seconds without data before the status line says so (or the stall threshold, if lower)
_size = attrgetter("size")
_FINAL = frozenset((Kind.END, Kind.ERROR))

Source = Callable[[StreamRequest, TimingStage], AsyncGenerator[Record, None]]


class Inbox:
    """One run's records: appended on the engine thread, taken on the UI thread, with no lock.

    Under the GIL a slice copy and a slice deletion are each atomic, and
    appends only go past the end, so `take` never loses or repeats a record.
    A run whose inbox is closed (stopped, restarted) ends at its next record.
    """

    __slots__ = ("records", "open")

    def __init__(self, open: bool = True) -> None:
        self.records: list[Record] = []
        self.open = open

    def take(self) -> list[Record]:
        records = self.records
        count = len(records)
        batch = records[:count]
        del records[:count]
        return batch


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
        """(records/s, bytes/s) over the last second or so: it falls to 0 as a silence grows."""
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
        self._samples.append((perf_counter(), self.records, self.bytes))  # also for an empty batch: rates decay


class StreamSession:
    """One stream on screen: its state, what the engine produced, and its figures.

    `state`, `response`, `final` and the figures change only on the UI
    thread, in `drain`; the engine thread only fills the run's inbox.
    """

    def __init__(self, source: Source = open_stream) -> None:
        self.source = source
        self.engine = LoopThread("explorer-engine")
        self.inbox = Inbox(open=False)
        self.post: Callable[[Message], object] = lambda message: None
        self.state = "idle"  # idle, connecting, streaming, done, error, stopped
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

    @property
    def last_arrival(self) -> float:
        """When the newest data record arrived (seconds since the request), 0 before the first."""
        return self.stats.arrivals.last if self.stats.records else 0.0

    @property
    def quiet_for(self) -> float | None:
        """Seconds without data so far, while streaming; else None."""
        return self.timing.silence(self.last_arrival) if self.state == "streaming" else None

    @property
    def silence(self) -> float | None:
        """`quiet_for`, once it is worth saying (a second, or the stall threshold if lower); else None."""
        quiet = self.quiet_for
        return quiet if quiet is not None and quiet >= min(SILENT_AFTER, self.timing.stall_seconds) else None

    def start(self, request: StreamRequest) -> None:
        """Reset for a new run of `request` (a run still going ends at its next record)."""
        self.inbox.open = False
        self.inbox = Inbox()
        self.state = "connecting"
        self.stats = StreamStats()
        self.timing = TimingStage(request.stall_seconds)
        self.response = self.final = None
        self.framing = request.framing
        self.started, self.finished = perf_counter(), None

    def stop(self) -> bool:
        """The person stopped the stream; True if it was running. What the engine made before is kept."""
        if not self.running:
            return False
        self.inbox.open = False
        self.state = "stopped"
        self.finished = perf_counter()
        return True

    def close(self) -> None:
        """End the engine thread (the app or the pane is going away)."""
        self.inbox.open = False
        self.engine.stop()

    def take(self) -> list[Record]:
        """The records the engine made since the last take; none more once a stopped run is taken."""
        batch = self.inbox.take()
        if not self.inbox.open:
            self.inbox = Inbox(open=False)  # a record racing the stop is dropped, not shown after it
        return batch

    def drain(self) -> list[Record]:
        """Take what the engine made since the last drain, account for it and follow its lifecycle."""
        batch = self.take()
        running = self.running
        if batch and running:
            self._lifecycle(batch)  # first: the response says the mode the batch is read in
        if batch or running:
            self.stats.take(batch, only_data_inside=not (self.mode.derives or self.framing))
        return batch

    def _lifecycle(self, batch: list[Record]) -> None:
        """Note the response and the final record when a batch holds them, and post a message for each."""
        if self.response is None:
            for record in batch:  # the response comes first, after at most a few redirects and 1xx
                if record.kind is Kind.RESPONSE:
                    self.response = record
                    self.state = "streaming"
                    self.post(StreamResponded(self, record))
                    break
                if record.kind in DATA_KINDS or record.kind in _FINAL:
                    break
        final = batch[-1]
        if final.kind in _FINAL:  # the final record is always the stream's last
            self.final = final
            self.state = "error" if final.kind is Kind.ERROR else "done"
            self.finished = perf_counter()
            self.post(StreamEnded(self, final))

    async def run(self, request: StreamRequest, post: Callable[[Message], object],
                  recorder: JsonlRecorder | None = None) -> None:
        """Read the run `start` began on the engine thread until it ends; cancelling this cancels it there."""
        self.post = post
        await self.engine.run(self.pump(self.inbox, self.timing, request, post, recorder))

    async def pump(self, inbox: Inbox, timing: TimingStage, request: StreamRequest,
                   post: Callable[[Message], object], recorder: JsonlRecorder | None = None) -> None:
        """On the engine thread: read `request` into `inbox`, the only work done per record.

        Reads from a full buffer never yield to the event loop, so every few
        milliseconds of uninterrupted ingest we yield ourselves, which lets the
        max-time deadline and a cancellation in. Records go to the recorder
        exactly as the engine made them; if a write fails, recording stops
        (`RecordingFailed`) and the stream goes on.
        """
        paused_at = perf_counter()
        count = 0
        append = inbox.records.append
        records = self.source(request, timing)
        try:
            async for record in records:
                if not inbox.open:
                    return
                append(record)
                if recorder is not None:
                    try:
                        recorder.write(record)
                    except OSError as error:
                        post(RecordingFailed(recorder, error))
                        recorder = None
                    except ValueError:  # the file was closed under us: the app is closing
                        recorder = None
                count += 1
                if count & 127 == 0 and perf_counter() - paused_at > YIELD_EVERY:
                    await asyncio.sleep(0)
                    paused_at = perf_counter()
        finally:
            await records.aclose()
