"""Stamping records: seconds since the request, per-kind sequence numbers and gaps."""

from __future__ import annotations

from time import perf_counter
from typing import Any, Callable

from .record import Record


class Clock:
    """The time base and shared state of one stream.

    `t0` is taken just before the request is sent; every stamp is
    `perf_counter() - t0` taken the instant a read returns. Hot modes keep their
    own seq and gap counters in locals and only use `t0`; the rest call
    `record()`. `summary` collects fields a mode adds to the final record, and
    `abort` is what the max-time deadline calls to end a stream early.
    """

    def __init__(self) -> None:
        self.t0 = perf_counter()
        self._seq: dict[str, int] = {}
        self._last: dict[str, float] = {}
        self.summary: dict[str, Any] = {}
        self.abort: Callable[[], None] | None = None
        self.expired = False
        self.records = 0
        self.bytes = 0
        self.ttfb: float | None = None
        self.last_byte = 0.0
        self.phases: dict[str, float] = {}

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
        self.phases[phase] = self.now()

    def now(self) -> float:
        return perf_counter() - self.t0

    def record(self, kind: str, t: float, size: int, data: bytes | None = None,
               extra: dict[str, Any] | None = None, count: int = 1) -> Record:
        """A record stamped at `t`; `count` advances seq by more than one (event batches)."""
        seq = self._seq.get(kind, 0)
        self._seq[kind] = seq + count
        gap = t - self._last.get(kind, 0.0)
        self._last[kind] = t
        return Record(kind, seq, t, gap, size, data, extra)
