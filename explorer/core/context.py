"""The per-stream context: time base, totals, phase marks and the max-time deadline."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from time import perf_counter
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from .record import Kind, Record
from .timing import TimingStage

if TYPE_CHECKING:
    from .llm.stage import LlmStage


class StreamContext:
    """What one stream's reader and `open_stream` share.

    `t0` is taken just before the request is sent; every stamp is
    `perf_counter() - t0` taken the instant a read returns. Hot modes keep their
    own seq and gap counters in locals and only use `t0`; the rest call
    `record()`. Modes pass every gap to `timing` (see timing.py) and set
    their own summary fields (`events`, `members`...) in `mode_summary`.
    `abort` is what the max-time deadline calls to end a stream early, and
    `expired` says that it did.
    """

    def __init__(self, max_time: float | None = None, timing: TimingStage | None = None) -> None:
        self.timing = timing or TimingStage()
        self.t0 = perf_counter()
        self.started_at = time.time()
        self.timing.origin = self.t0
        self.max_time = max_time
        self._seq: dict[Kind, int] = {}
        self._last: dict[Kind, float] = {}
        self.mode_summary: dict[str, Any] = {}
        self.abort: Callable[[], None] | None = None
        self.expired = False
        self.records = 0
        self.bytes = 0
        self.ttfb: float | None = None
        self.last_byte = 0.0
        self.marks: dict[str, float] = {}
        self.side: list[Record] = []  # records the body reader made between a mode's records (framing, trailers)
        self.arrivals: Callable[[], tuple[float | None, float | None]] | None = None  # wire first/last byte
        self.sent_headers: list[tuple[str, str]] | None = None  # the last request's headers, as the client wrote them
        self.llm: LlmStage | None = None  # an HTTP stream's LLM stage: the `llm` figures of its summary

    def byte_span(self) -> tuple[float | None, float | None]:
        """First and last body byte (seconds since `t0`): on the wire when the client stamps them,
        else the first and last data record."""
        if self.arrivals is not None:
            first, last = self.arrivals()
            if first is not None:
                return first - self.t0, (last or first) - self.t0
        if self.ttfb is None:
            return None, None
        return self.ttfb, self.last_byte

    def start_clock(self) -> None:
        """Take `t0` now: the request is sent next."""
        self.t0 = perf_counter()
        self.started_at = time.time()
        self.timing.origin = self.t0

    def tally(self, records: int, size: int, first: float | None, last: float = 0.0) -> None:
        """Add a mode's totals; modes call this once, when their loop ends (however it ends).

        Counting here rather than per record in `open_stream` keeps the hot path short.
        """
        self.records += records
        self.bytes += size
        if first is not None and (self.ttfb is None or first < self.ttfb):
            self.ttfb = first
        if first is not None and last > self.last_byte:
            self.last_byte = last

    def mark(self, phase: str) -> None:
        """Note when a connection phase happened (seconds since the request started)."""
        self.marks[phase] = self.now()

    def now(self) -> float:
        return perf_counter() - self.t0

    def record(self, kind: Kind, t: float, size: int = 0, data: bytes | None = None, value: Any = None,
               flags: int = 0) -> Record:
        """A record stamped at `t`, with the next seq and the gap since the last record of its kind."""
        seq = self._seq.get(kind, 0)
        self._seq[kind] = seq + 1
        gap = t - self._last.get(kind, 0.0)
        self._last[kind] = t
        return Record(kind, seq, t, gap, size, data, value, flags)

    # -- max time --------------------------------------------------------------

    def start_deadline(self) -> asyncio.TimerHandle | None:
        """Arm the max-time deadline, if there is one."""
        if self.max_time is None:
            return None
        return asyncio.get_running_loop().call_later(self.max_time, self.expire)

    def expire(self) -> None:
        """The max-time deadline: end the stream cleanly wherever it is."""
        self.expired = True
        if self.abort is not None:
            self.abort()

    @asynccontextmanager
    async def until_deadline(self) -> AsyncIterator[None]:
        """Run a step that has nothing to abort yet (connecting) until max time; then set `expired`.

        The caller checks `expired` after the block: the step's result does not exist then.
        """
        if self.max_time is None:
            yield
            return
        try:
            async with asyncio.timeout(max(0.0, self.max_time - self.now())):
                yield
        except TimeoutError:
            if self.now() < self.max_time:
                raise  # a timeout of the step's own, not the deadline
            self.expired = True
