"""Playing a capture again: one run's records fed to a session as its engine would, paced by their own times.

A replay needs no engine and no network. `ReplayPlayer` holds one run of a
capture and a position on the run's clock (seconds since the request, the
records' `t`): it moves with the wall clock times the speed while playing
and stands still while paused. `ReplaySession` takes the records the
position passed as the engine's next `Batch`, with the figures over every
record so far (`StreamStats`, and a `TimingStage` fed the recorded gaps and
stall marks), so the log, events, transcript, status line and timeline show
them through the same path as a live run's. Stepping hands over one record;
a jump starts the run again on screen and hands over every record up to the
time at once.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from time import perf_counter
from typing import Callable

from ..core import Kind, Record, StreamRequest
from ..core.capture import CaptureError, read_capture
from ..core.record import DATA_KINDS, FINAL_KINDS, Flag
from ..core.sanitize import sanitize
from ..core.timing import TimingStage
from ..engine.messages import Batch
from ..engine.outbox import PAYLOAD_CAP
from .session import RATE_WINDOW, RateMeter, StreamSession

SPEEDS = (1.0, 2.0, 10.0, 0.0)  # what the speed keys step through; 0 hands over every record at once
_OUTGOING = int(Flag.OUTGOING)
_STALL = int(Flag.STALL)


def speed_label(speed: float) -> str:
    """`1x`, `2.5x`, or `instant` for 0."""
    return "instant" if speed == 0 else f"{speed:g}x"


def next_speed(speed: float, step: int) -> float:
    """The speed after `speed` in `SPEEDS` (`step` 1: faster, -1: slower, instant the fastest), round the end."""
    ranks = sorted(SPEEDS, key=lambda s: math.inf if s == 0 else s)
    rank = math.inf if speed == 0 else speed
    if step > 0:
        return next((s for s in ranks if (math.inf if s == 0 else s) > rank), ranks[0])
    return next((s for s in reversed(ranks) if (math.inf if s == 0 else s) < rank), ranks[-1])


@dataclass(frozen=True)
class Replay:
    """What `explorer replay` opens: one run of a capture, which of how many, and the speed to start at."""

    name: str  # the file's name, safe to show
    records: list[Record]
    run: int = 1  # 1-based
    runs: int = 1
    speed: float = 1.0
    capped: bool = False  # the capture passed the cap on records read back: its end was left out

    @property
    def response(self) -> Record | None:
        return next((record for record in self.records if record.kind is Kind.RESPONSE), None)

    @property
    def request(self) -> StreamRequest:
        """The request as far as the capture tells it: the URL and the mode it was read in."""
        response = self.response
        if response is None:
            return StreamRequest(url="", mode="auto")
        return StreamRequest(url=response.response.url, mode=response.response.mode)


def load_replay(path: str | Path, run: int | None = None, speed: float = 1.0) -> Replay:
    """Run `run` (1-based; the last when None) of the capture at `path`; raises `CaptureError` in one sentence."""
    if not (speed >= 0 and math.isfinite(speed)):
        raise CaptureError(f"--speed takes 0 (all at once) or a positive factor such as 1, 2 or 10, not {speed}.")
    capture = read_capture(path)
    count = len(capture.runs)
    if run is None:
        run = count
    if not 1 <= run <= count:
        raise CaptureError(f"The capture holds {count} run{'s' if count != 1 else ''}: "
                           f"--run takes {'1' if count == 1 else f'1 to {count}'}, not {run}.")
    return Replay(sanitize(Path(path).name, 80), capture.runs[run - 1].records, run, count, speed, capture.capped)


class ReplayPlayer:
    """A position on one run's clock, and the records it has passed (`index` of them, in order).

    A record is due at its `t`, or at an earlier record's if that is later
    (the clock of a run never goes back). `clock` is the wall clock
    (seconds); tests may pass their own.
    """

    def __init__(self, records: list[Record], speed: float = 1.0,
                 clock: Callable[[], float] = perf_counter) -> None:
        self.records = records
        self.due = list(accumulate((record.t for record in records), max))
        self.total = self.due[-1] if self.due else 0.0
        self.speed = speed
        self.clock = clock
        data = [(due, record.size) for due, record in zip(self.due, records)
                if record.kind in DATA_KINDS and not record.flags & _OUTGOING]
        self._data_due = [due for due, _ in data]
        self._data_bytes = list(accumulate((size for _, size in data), initial=0))
        self.index = 0  # records handed over so far
        self.paused = True  # until `play`
        self._at = 0.0  # the position at `_since` on the wall clock
        self._since = clock()

    @property
    def ended(self) -> bool:
        """Every record has been handed over."""
        return self.index >= len(self.records)

    @property
    def position(self) -> float:
        """Seconds on the run's clock."""
        if self.paused or self.ended or self.speed == 0:
            return self._at
        return min(self.total, self._at + (self.clock() - self._since) * self.speed)

    def _anchor(self, at: float) -> None:
        self._at, self._since = at, self.clock()

    def _hand(self, end: int) -> list[Record]:
        records = self.records[self.index:end]
        self.index = end
        if self.ended:
            self._anchor(self.total)
        return records

    def tick(self) -> list[Record]:
        """The records the position passed since the last tick (all that are left, at instant speed)."""
        if self.paused or self.ended:
            return []
        if self.speed == 0:
            return self._hand(len(self.records))
        return self._hand(bisect_right(self.due, self.position, self.index))

    def play(self) -> None:
        if self.paused:
            self.paused = False
            self._anchor(self._at)

    def pause(self) -> list[Record]:
        """Stop the position where it is: the records it passed since the last tick."""
        if self.paused or self.ended:
            return []
        at = self.position
        self._anchor(at)
        self.paused = True
        return self._hand(bisect_right(self.due, at, self.index))

    def step(self) -> list[Record]:
        """Pause, and hand over the next record (and any the position passed before the pause): the position
        moves to its time. Records due at the same time come one step each."""
        records = self.pause()
        if self.ended:
            return records
        at = max(self._at, self.due[self.index])
        records += self._hand(self.index + 1)
        self._anchor(at)
        return records

    def seek(self, at: float) -> list[Record]:
        """Move to `at` seconds (the run's start to its end): every record up to it, to be shown anew."""
        at = min(max(0.0, at), self.total)
        self.index = bisect_right(self.due, at)
        self._anchor(at)
        return self.records[:self.index]

    def seek_index(self, index: int) -> list[Record]:
        """Move to where the first `index` records have been handed over: those records, to be shown anew."""
        self.index = min(max(0, index), len(self.records))
        self._anchor(self.due[self.index - 1] if self.index else 0.0)
        return self.records[:self.index]

    def rate(self, window: float) -> tuple[float, float]:
        """(records/s, bytes/s) of the data records due in the last `window` seconds before the position."""
        at = self.position
        span = min(window, at)
        if span <= 0:
            return 0.0, 0.0
        low, high = bisect_right(self._data_due, at - span), bisect_right(self._data_due, at)
        return (high - low) / span, (self._data_bytes[high] - self._data_bytes[low]) / span

    def set_speed(self, speed: float) -> None:
        self._anchor(self.position)
        self.speed = speed


class ReplayRate(RateMeter):
    """Records and bytes a second over the last second of the run's own clock, counted from the recording.

    At 10x it is the recorded rate, paused it holds, after a jump it is the
    rate there, and in a silence it falls as a live one does.
    """

    def __init__(self, player: ReplayPlayer) -> None:
        super().__init__()
        self.player = player

    def sample(self, records: int, size: int) -> None:
        """Nothing to sample: the recording has every arrival."""

    def rate(self) -> tuple[float, float]:
        return self.player.rate(RATE_WINDOW)


class ReplaySession(StreamSession):
    """A session whose batches come from a `ReplayPlayer` instead of an engine: no process, no network.

    Its clock is the player's: elapsed time, silences and the rate are in
    the run's seconds, whatever the speed.
    """

    def __init__(self, player: ReplayPlayer) -> None:
        super().__init__()  # an engine handle that is never started (`warm` and `send` do nothing here)
        self.player = player

    def warm(self) -> None:
        """Nothing to load: no engine reads a replay."""

    def send(self, data: bytes, binary: bool = False) -> bool:
        return False  # a recorded WebSocket has nobody at the other end

    def start(self, request: StreamRequest) -> None:
        super().start(request)
        self.rate = ReplayRate(self.player)

    def hand(self, records: list[Record]) -> None:
        """Take `records` (the run's next ones) as the engine's next batch, with the figures over all so far."""
        if not records or not self.inbox.open:
            return
        stats, timing = self.stats, self.timing
        stats.take(records, only_data_inside=False)
        note_gaps(timing, records)
        timing.catch_up(stats.records)
        shipped = [record.capped(PAYLOAD_CAP) for record in records]  # what an engine sends the screen
        self.inbox.batches.append(Batch(self.run_number, shipped, stats, timing,
                                        done=records[-1].kind in FINAL_KINDS))

    @property
    def elapsed(self) -> float:
        if self.final is not None or self.started is None:
            return super().elapsed
        return self.player.position

    @property
    def quiet_for(self) -> float | None:
        if self.state != "streaming":
            return None
        return max(0.0, self.player.position - self.last_arrival)


def note_gaps(timing: TimingStage, records: list[Record]) -> None:
    """Account for the recorded gaps and stall marks of `records`' data records, as the modes did live."""
    for record in records:
        if record.kind in DATA_KINDS and not record.flags & _OUTGOING:
            timing.judged(record.gap, record.seq, bool(record.flags & _STALL))
