"""One run of a stream on screen: the engine's batches, lifecycle messages, fixed-size figures.

The stream is read in an engine process of the session's own
(`EngineProcess`), so nothing the UI does can delay a stamp. The engine
sends batches (the newest records and the figures over all of them); a
reader thread puts them in the run's `Inbox`, and the UI takes the inbox on
a timer (`drain`) and learns from the records that the response came and
that the stream ended. A UI call per record would cap a stream at about a
thousand records a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import suppress
from time import perf_counter
from typing import Callable

from textual.message import Message

from ..core import Kind, Record, StreamRequest
from ..core.jsonl import JsonlRecorder
from ..core.modes import REGISTRY, ModeInfo
from ..core.record import DATA_KINDS
from ..core.timing import TimingStage
from ..engine import Batch, CaptureFailed, EngineProcess, EngineThread, RunOrder, StreamStats
from ..engine.outbox import Source, engine_error
from ..engine.process import EngineLost
from .llm_watch import LlmWatch

RATE_WINDOW = 1.0  # seconds
SILENT_AFTER = 1.0  # seconds without data before the status line says so (or the stall threshold, if lower)
_FINAL = frozenset((Kind.END, Kind.ERROR))


class Inbox:
    """One run's batches: appended on the engine's thread, taken on the UI thread, with no lock.

    Under the GIL a slice copy and a slice deletion are each atomic, and
    appends only go past the end, so `take` never loses or repeats a batch.
    A closed inbox (the run was stopped or restarted) takes no more.
    """

    __slots__ = ("batches", "open")

    def __init__(self, open: bool = True) -> None:
        self.batches: list[Batch] = []
        self.open = open

    def take(self) -> list[Batch]:
        batches = self.batches
        count = len(batches)
        taken = batches[:count]
        del batches[:count]
        return taken


class RateMeter:
    """Records and bytes a second over the last second or so: sampled at every drain, so it decays in a silence."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int, int]] = deque(maxlen=256)

    def sample(self, records: int, size: int) -> None:
        self._samples.append((perf_counter(), records, size))

    def clear(self) -> None:
        self._samples.clear()

    def rate(self) -> tuple[float, float]:
        """(records/s, bytes/s); it falls to 0 as a silence grows."""
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
    """Writing the `-o` capture to `path` failed (a full disk): the stream goes on, the capture stops."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__()
        self.path = path
        self.error = error


class StreamSession:
    """One stream on screen: its state, what the engine produced, and its figures.

    `state`, `response`, `final` and the figures change only on the UI
    thread, in `drain`; the engine only fills the run's inbox. `source`
    replaces the engine's reader (tests replay recorded streams); such a
    session reads on a thread, not a process.
    """

    def __init__(self, source: Source | None = None) -> None:
        self.engine: EngineProcess | EngineThread = EngineThread(source) if source else EngineProcess()
        self.inbox = Inbox(open=False)
        self.run_number = 0
        self.post: Callable[[Message], object] = lambda message: None
        self.state = "idle"  # idle, connecting, streaming, done, error, stopped
        self.stats = StreamStats()
        self.rate = RateMeter()
        self.timing = TimingStage()
        self.llm = LlmWatch()  # token records and serving figures, once a token came
        self.response: Record | None = None
        self.final: Record | None = None
        self.skipped = 0  # records of this run counted but not sent (a firehose outruns the screen)
        self.gaps: list[tuple[int, int]] = []  # where the last take left records out: (index, count)
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
        """Seconds the run took: the stream's own duration once it ended, else the time since the start."""
        if self.final is not None:
            return self.final.summary.duration
        if self.started is None:
            return 0.0
        return (self.finished or perf_counter()) - self.started

    @property
    def ttfb(self) -> float | None:
        """Time to first byte: on the wire once the stream ended (its summary's), else its first record's."""
        if self.final is not None and self.final.summary.ttfb is not None:
            return self.final.summary.ttfb
        return self.stats.ttfb

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
        """Reset for a new run of `request` (a run still going is stopped)."""
        self._end_run()
        self.inbox = Inbox()
        self.run_number += 1
        self.state = "connecting"
        self.stats = StreamStats()
        self.rate = RateMeter()
        self.timing = TimingStage(request.stall_seconds)
        self.llm = LlmWatch(request.stall_seconds)
        self.response = self.final = None
        self.skipped, self.gaps = 0, []
        self.started, self.finished = perf_counter(), None

    def stop(self) -> bool:
        """The person stopped the stream; True if it was running. What the engine made before is kept."""
        if not self.running:
            return False
        self._end_run()
        self.state = "stopped"
        self.finished = perf_counter()
        return True

    def send(self, data: bytes, binary: bool = False) -> bool:
        """Send a message on the running WebSocket stream: text, or binary when `binary` (or not UTF-8).

        False, and nothing is sent, when no WebSocket stream is running (before its response, too). The
        message comes back as the run's next outgoing message record.
        """
        if self.state != "streaming" or not self.inbox.open or not self.mode.websocket:
            return False
        self.engine.send(self.run_number, data, binary)
        return True

    def _end_run(self) -> None:
        if self.inbox.open:
            self.inbox.open = False
            self.engine.stop(self.run_number)

    def warm(self) -> None:
        """Have the engine ready for a run soon to come."""
        self.engine.warm()

    def close(self) -> None:
        """End the engine (the app or the pane is going away); its captures are closed when this returns."""
        self.inbox.open = False
        self.engine.close()

    def take(self) -> list[Record]:
        """The records the engine sent since the last take (and, from their batches, the run's figures; `llm`
        notes their token records).

        `gaps` says where records the engine counted but did not send were left out: (index, count).
        """
        batches = self.inbox.take()
        if not self.inbox.open:
            self.inbox = Inbox(open=False)  # a batch racing the stop is dropped, not shown after it
        records: list[Record] = []
        self.gaps = []
        for batch in batches:
            if batch.skipped > self.skipped:
                self.gaps.append((len(records) + batch.gap_at, batch.skipped - self.skipped))
                self.skipped = batch.skipped
            records += batch.records
        if batches:
            self.stats, self.timing = batches[-1].stats, batches[-1].timing
        self.llm.take(records)
        return records

    def drain(self) -> list[Record]:
        """Take what the engine sent since the last drain, and follow the run's lifecycle and rate."""
        batch = self.take()
        running = self.running
        if batch and running:
            self._lifecycle(batch)
        if batch or running:
            self.rate.sample(self.stats.records, self.stats.bytes)
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
        """Have the engine read the run `start` began, until it ends; cancelling this stops it."""
        self.post = post
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()
        inbox, started = self.inbox, perf_counter()

        def end() -> None:
            if not ended.done():
                ended.set_result(None)

        def deliver(message: object) -> None:  # on the engine's thread or the reader thread
            if isinstance(message, CaptureFailed):
                post(RecordingFailed(message.path, message.error))
                return
            if isinstance(message, EngineLost):
                error = engine_error(self.stats, started, str(message))
                message = Batch(run, [error], self.stats, self.timing, done=True)
            assert isinstance(message, Batch)
            if inbox.open:
                inbox.batches.append(message)
            if message.done:
                with suppress(RuntimeError):  # the app's loop is closed: nobody waits
                    loop.call_soon_threadsafe(end)

        run = self.run_number
        self.engine.start(RunOrder(run, request, str(recorder.path) if recorder else None), deliver)
        try:
            await ended
        except asyncio.CancelledError:
            if self.run_number == run:
                self._end_run()
            raise
