"""Fixed-size timing statistics: gap percentiles, stalls and arrivals over time.

Everything here has bounded memory however long the stream runs: gaps go
into a log-scale histogram (about 2% relative precision), arrivals into
time buckets that halve their resolution when the stream outgrows them.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Iterable

from .record import Record

DATA_KINDS = frozenset(("chunk", "line", "message"))
STALL_SECONDS = 1.0
STALL_FACTOR = 5.0  # a stall is also this many times the median gap so far

_MIN_GAP = 1e-6
_GROWTH = 1.02
_LOG_GROWTH = math.log(_GROWTH)
_BUCKETS = int(math.log(86_400 / _MIN_GAP) / _LOG_GROWTH) + 2


class GapStats:
    """Count, percentiles and max of the gaps between data records."""

    def __init__(self) -> None:
        self._counts = [0] * _BUCKETS
        self.count = 0
        self.max = 0.0

    def add(self, gap: float) -> None:
        self._counts[_bucket(gap)] += 1
        self.count += 1
        if gap > self.max:
            self.max = gap

    def add_many(self, gaps: Iterable[float]) -> None:
        counts = self._counts
        for gap in gaps:
            counts[_bucket(gap)] += 1
            self.count += 1
            if gap > self.max:
                self.max = gap

    def add_zeros(self, n: int) -> None:
        self._counts[0] += n
        self.count += n

    def percentile(self, p: float) -> float | None:
        """The p-th percentile (0-100), from the histogram; None without gaps."""
        if not self.count:
            return None
        rank = max(1, math.ceil(self.count * p / 100))
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                return min(_value(index), self.max)
        return self.max

    def summary(self) -> dict[str, float | int | None]:
        """The `end` record's gap fields."""
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 6)

        return {
            "gap_count": self.count,
            "gap_p50": r(self.percentile(50)),
            "gap_p90": r(self.percentile(90)),
            "gap_p99": r(self.percentile(99)),
            "gap_max": r(self.max) if self.count else None,
        }

    def histogram(self, bins: int) -> list[tuple[float, int]]:
        """(upper gap, count) in `bins` log-spaced bins between the smallest and largest gap."""
        used = [i for i, n in enumerate(self._counts) if n]
        if not used:
            return []
        low, high = used[0], used[-1] + 1
        step = max(1, math.ceil((high - low) / bins))
        return [(_value(min(start + step, high) - 1), sum(self._counts[start:start + step]))
                for start in range(low, high, step)]


def _bucket(gap: float) -> int:
    if gap <= _MIN_GAP:
        return 0
    return min(_BUCKETS - 1, 1 + int(math.log(gap / _MIN_GAP) / _LOG_GROWTH))


def _value(index: int) -> float:
    """A representative gap for a bucket (its geometric middle)."""
    if index == 0:
        return 0.0
    return _MIN_GAP * _GROWTH ** (index - 0.5)


class TimingStats:
    """Gap statistics and stall marking over a stream's data records."""

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.gaps = GapStats()
        self.stall_seconds = stall_seconds
        self.stalls = 0
        self.timeline = TimeBuckets()

    def observe(self, record: Record) -> bool:
        """Account for one record; True when its gap is a stall (and it is marked so)."""
        if record.kind not in DATA_KINDS:
            return False
        self.timeline.add(record.t, record.size)
        if record.seq == 0:
            return False  # the first gap is time to first byte, not a pause
        gap = record.gap
        stall = gap >= self.stall_seconds and self.is_stall(gap)
        self.gaps.add(gap)
        if stall:
            self.stalls += 1
            record.extra = {**(record.extra or {}), "stall": True}
        return stall

    def observe_batch(self, batch: list[Record], only_data_inside: bool = False) -> None:
        """`observe` for a batch, with the per-record work done at C speed where it can be.

        Lines split from one read share its arrival time (gap 0), so zero gaps
        are counted in bulk; only gaps past the stall threshold are looked at
        one by one; timeline buckets take runs of records at once.
        """
        if self.gaps.count < 2:  # no median to judge stalls by yet: take the first records one by one
            for record in batch:
                self.observe(record)
            return
        if only_data_inside:  # modes without derived records: only the edges can be other kinds
            start = 0 if batch[0].kind in DATA_KINDS else 1
            end = len(batch) if batch[-1].kind in DATA_KINDS else len(batch) - 1
            data = batch[start:end]
        else:
            data = [r for r in batch if r.kind in DATA_KINDS]
        if not data:
            return
        self.timeline.add_run(data)
        if data[0].seq == 0:
            data = data[1:]
        gaps = list(map(_gap, data))
        nonzero = list(filter(None, gaps))  # gaps are never negative; filter(None) runs at C speed
        self.gaps.add_zeros(len(gaps) - len(nonzero))
        threshold = self.stall_seconds
        if nonzero and max(nonzero) >= threshold:
            for record in [r for r in data if r.gap >= threshold]:
                if self.is_stall(record.gap):
                    self.stalls += 1
                    record.extra = {**(record.extra or {}), "stall": True}
        self.gaps.add_many(nonzero)

    def is_stall(self, gap: float) -> bool:
        """A long gap is a stall only against a median of at least two earlier gaps."""
        if self.gaps.count < 2:
            return False
        median = self.gaps.percentile(50) or 0.0
        return gap >= STALL_FACTOR * median

    def summary(self) -> dict[str, float | int | None]:
        return {**self.gaps.summary(), "stalls": self.stalls}


class TimeBuckets:
    """Records and bytes per time slice, in at most `size` slices (resolution halves as needed)."""

    def __init__(self, size: int = 512, width: float = 0.01) -> None:
        self.size = size
        self.width = width
        self.records = [0] * size
        self.bytes = [0] * size
        self.last = 0.0

    def add(self, t: float, size: int) -> None:
        index = int(t / self.width)
        while index >= self.size:
            self._halve()
            index = int(t / self.width)
        self.records[index] += 1
        self.bytes[index] += size
        if t > self.last:
            self.last = t

    def add_run(self, records: list[Record]) -> None:
        """Add records in arrival order, a bucket's worth at a time."""
        if not records:
            return
        while int(records[-1].t / self.width) >= self.size:
            self._halve()
        start = 0
        while start < len(records):
            index = int(records[start].t / self.width)
            limit = (index + 1) * self.width
            end = _first_at_or_after(records, limit, start)
            self.records[index] += end - start
            self.bytes[index] += sum(map(_size, records[start:end]))
            start = end
        if records[-1].t > self.last:
            self.last = records[-1].t

    def _halve(self) -> None:
        self.records = [a + b for a, b in zip(self.records[::2], self.records[1::2])] + [0] * (self.size // 2)
        self.bytes = [a + b for a, b in zip(self.bytes[::2], self.bytes[1::2])] + [0] * (self.size // 2)
        self.width *= 2

    def rebin(self, seconds: float, columns: int) -> list[int]:
        """Records per column of `seconds` each, from time 0: for a time axis shared with another stream."""
        out = [0] * columns
        for index in range(self.used()):
            n = self.records[index]
            if n:
                out[min(columns - 1, int(index * self.width / seconds))] += n
        return out

    def used(self) -> int:
        """How many slices hold the stream so far."""
        return min(self.size, int(self.last / self.width) + 1)

    def resample(self, columns: int) -> tuple[list[int], list[int], float]:
        """(records, bytes, seconds per column) over the used span, in `columns` columns."""
        used = self.used()
        per = max(1, math.ceil(used / max(1, columns)))
        records = [sum(self.records[i:i + per]) for i in range(0, used, per)]
        sizes = [sum(self.bytes[i:i + per]) for i in range(0, used, per)]
        return records, sizes, per * self.width


_gap = attrgetter("gap")
_size = attrgetter("size")


def _first_at_or_after(records: list[Record], t: float, start: int) -> int:
    """Index of the first record at or after time t (records are in time order)."""
    low, high = start, len(records)
    while low < high:
        middle = (low + high) // 2
        if records[middle].t < t:
            low = middle + 1
        else:
            high = middle
    return low
